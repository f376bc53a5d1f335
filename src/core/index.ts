// Builds the domain once from its dependencies; the dialects receive it and never construct pieces themselves.
import { availableParallelism } from "node:os";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import { createApiTokensRepository } from "../db/repositories/api-tokens.ts";
import { createChallengesRepository } from "../db/repositories/challenges.ts";
import { createIdentitiesRepository } from "../db/repositories/identities.ts";
import { createMailQueueRepository } from "../db/repositories/mail-queue.ts";
import { createRateLimitsRepository } from "../db/repositories/rate-limits.ts";
import { createRecoveryCodesRepository } from "../db/repositories/recovery-codes.ts";
import { createSessionsRepository } from "../db/repositories/sessions.ts";
import { createSignInMethodsRepository } from "../db/repositories/sign-in-methods.ts";
import { createTotpRepository } from "../db/repositories/totp.ts";
import { createUserDirectoryRepository } from "../db/repositories/user-directory.ts";
import { createUsersRepository } from "../db/repositories/users.ts";
import { createSecurityEventsRepository } from "../db/repositories/security-events.ts";
import { createPasskeysRepository } from "../db/repositories/passkeys.ts";
import { createAccessTokens } from "./sessions/access-tokens.ts";
import { createActivation } from "./challenges/activation.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import type { Random } from "../lib/random.ts";
import type { Composers } from "./mail/intents.ts";
import type { Mailer } from "./mail/mailer.ts";
import { createMailQueue } from "./mail/queue.ts";
import { createMailWorker } from "./mail/worker.ts";
import { createApiTokens } from "./sessions/api-tokens.ts";
import { createCallerGate } from "./accounts/caller-gate.ts";
import { createEmailChange } from "./challenges/email-change.ts";
import { createEmailOtp } from "./challenges/email-otp.ts";
import { createJwtSigner } from "./sessions/jwt.ts";
import { createGuesses } from "./throttling/guesses.ts";
import type { OwnedData } from "./accounts/owned-data.ts";
import { createPasswordReset } from "./challenges/password-reset.ts";
import { createRateLimits } from "./throttling/rate-limits.ts";
import { createLogin } from "./sign-in/login.ts";
import { createSignIn } from "./sign-in/sign-in.ts";
import { createSecondFactors } from "./second-factors/index.ts";
import { createPasskeys } from "./second-factors/passkeys.ts";
import { relyingPartyOf } from "./second-factors/webauthn.ts";
import { createPasskeySignIn } from "./sign-in/passkey-sign-in.ts";
import { createPasswordHasher } from "./passwords/passwords.ts";
import { createHashAdmission } from "./passwords/hash-admission.ts";
import { createSessionTokens } from "./sessions/session-tokens.ts";
import { createSecurityEvents } from "./security-events.ts";
import { createSessions, sessionSettings } from "./sessions/sessions.ts";
import type { SigningKeys } from "./sessions/signing-keys.ts";
import { createUsers } from "./accounts/users.ts";
import { createSignInMethods } from "./accounts/sign-in-methods.ts";
import { createEmailVerification } from "./challenges/email-verification.ts";
import { createChallenges } from "./challenges/challenges.ts";
import { createPasswordCheck } from "./passwords/password-check.ts";
import { createBreachedPasswords } from "./passwords/breached-passwords.ts";
import { createRegistrationPolicy } from "./accounts/registration-policy.ts";
import { createResetRequests } from "./challenges/reset-requests.ts";
import { createUserDirectory } from "./accounts/user-directory.ts";
import { noObservations, type Observations } from "./observations.ts";
import { createTokenCipher } from "../lib/token-cipher.ts";
import { createIdentities } from "./identities/identities.ts";
import { createProviderFlow } from "./identities/provider-flow.ts";
import { configuredProviders, createProviderRegistry } from "./identities/providers.ts";
import { createProviderSignIn } from "./sign-in/provider-sign-in.ts";
import { createAdministration } from "./administration/index.ts";

export interface CoreDeps {
  config: Config;
  db: Database;
  clock: Clock;
  /** Every token, ticket, code and id core draws. */
  random: Random;
  /** PUBLIC_URL, read when a link is made (after latchkey listens: src/public-url.ts). */
  publicUrl: () => string;
  logger: Logger;
  /** What the mail worker sends through; routes only queue mails (core/mail/intents.ts). */
  mailer: Mailer;
  /** Access-token keys, imported once at start-up (core/sessions/signing-keys.ts loadSigningKeys). */
  signingKeys: SigningKeys;
  /** What accounts own outside core (storage's files), removed with them. */
  ownedData: OwnedData;
  /** What core reports for the operator's metrics (src/metrics.ts); none when absent. */
  observations?: Observations;
  /**
   * COOKIE_SECRET, or the generated one: the key that seals the provider tokens kept at rest (PROVIDER_KEEP_TOKENS)
   * is derived from it (lib/token-cipher.ts).
   */
  cookieSecret: string;
}

export type Core = ReturnType<typeof createCore>;

export type AccountServicesDeps = Pick<CoreDeps, "config" | "db" | "clock" | "random" | "logger" | "ownedData" | "observations"> & {
  /** PUBLIC_URL, for the passkey ceremonies' default origin; the operator's commands run none and pass none. */
  publicUrl?: () => string;
};

/**
 * The part of core that accounts stand on: passwords and the registration policy, users, the caller gate, sessions,
 * the guess limits, the challenges and second factors (passkeys among them). Built here once for the server (createCore, below) and for the operator's
 * `latchkey user ...` commands (src/cli/operator-services.ts), so an account made or changed by a command meets the
 * same rules as one made by a request.
 */
export function createAccountServices(deps: AccountServicesDeps) {
  const { config, db, clock, random, logger, ownedData } = deps;
  const observations = deps.observations ?? noObservations;
  const passwords = createPasswordHasher({
    memoryKiB: config.passwords.argon2MemoryKiB,
    timeCost: config.passwords.argon2TimeCost,
    observe: observations.passwordHash,
    admission: createHashAdmission({
      maxWaiting: config.passwords.hashQueueMax,
      maxWaitingPerClient: config.passwords.hashQueuePerClient,
      // One hash a core at a time: more would wait inside Bun's thread pool in arrival order, out of our queue's reach.
      running: availableParallelism(),
    }),
  });
  const breached = createBreachedPasswords({ enabled: config.passwords.hibpEnabled, logger });
  const registration = createRegistrationPolicy({ settings: config.registration, breached });
  const accounts = createUsersRepository(db);
  const users = createUsers({ accounts, clock, random, passwords, auth: config.auth, registration, ownedData });
  const callerGate = createCallerGate({ users });
  const sessions = createSessions({ store: createSessionsRepository(db), clock, random, settings: sessionSettings(config), logger, callerGate });
  const rateLimits = createRateLimits({ counters: createRateLimitsRepository(db), clock });
  const events = createSecurityEvents(logger, { events: createSecurityEventsRepository(db), clock, random });
  const guesses = createGuesses({ rateLimits, config: config.rateLimits, events });
  const secondFactors = createSecondFactors({
    totpCredentials: createTotpRepository(db),
    recoveryCodes: createRecoveryCodesRepository(db),
    clock,
    random,
    issuer: config.auth.otpIssuer,
    guesses,
  });
  const signInMethods = createSignInMethods(createSignInMethodsRepository(db));
  const challenges = createChallenges({ repository: createChallengesRepository(db), clock, random, passwords, guesses });
  const publicUrl =
    deps.publicUrl ??
    (() => {
      throw new Error("no PUBLIC_URL here: the operator's commands run no passkey ceremony");
    });
  const passkeys = createPasskeys({
    repository: createPasskeysRepository(db),
    challenges,
    relyingParty: relyingPartyOf(config.webauthn, publicUrl),
    signInMethods,
    guesses,
    events,
    clock,
  });
  return { passwords, accounts, users, callerGate, sessions, rateLimits, events, guesses, secondFactors, signInMethods, challenges, passkeys };
}

export function createCore(deps: CoreDeps) {
  const { config, db, clock, random, publicUrl, logger, mailer, signingKeys } = deps;
  const observations = deps.observations ?? noObservations;
  const { passwords, accounts, users, callerGate, sessions, rateLimits, events, guesses, secondFactors, signInMethods, challenges, passkeys } =
    createAccountServices(deps);
  const jwt = createJwtSigner(signingKeys, clock);
  const accessTokens = createAccessTokens({ config: config.jwt, jwt });
  const { totp, backupCodes, twoFactorSetup, secondFactorReset } = secondFactors;
  const mailQueue = createMailQueue({ mails: createMailQueueRepository(db), clock, random, enabled: config.mail.enabled });
  const activation = createActivation({ auth: config.auth, publicUrl, challenges, users, mailQueue, guesses });
  const sessionTokens = createSessionTokens({ sessions, accessTokens });
  const passwordCheck = createPasswordCheck({ accounts, users, passwords, guesses, observations });
  const signIn = createSignIn({ auth: config.auth, publicUrl, users, guesses, events, totp, challenges, mailQueue, secondFactors });
  const login = createLogin({ passwordCheck, signIn, totp, sessions, accessTokens, observations });
  const passkeySignIn = createPasskeySignIn({ auth: config.auth, users, passkeys, challenges, guesses, random, observations });
  const passwordReset = createPasswordReset({ auth: config.auth, publicUrl, users, challenges, sessions, mailQueue, guesses });
  const emailChange = createEmailChange({ auth: config.auth, publicUrl, users, challenges, mailQueue, guesses });
  const apiTokens = createApiTokens({ tokens: createApiTokensRepository(db), clock, random, guesses });
  const emailOtp = createEmailOtp({ users, challenges, mailQueue, passwords, guesses, random });
  // Each feature decides who gets its mails and mints their tickets; the worker runs them (core/mail/intents.ts).
  const composers: Composers = {
    "activate-account": activation.composeActivationMail,
    "magic-link-register": activation.composeMagicRegistrationMail,
    "lost-password": passwordReset.composeResetMail,
    "magic-link-log-in": signIn.composeMagicLinkMail,
    "change-email": emailChange.composeEmailChangeMail,
    "email-changed": emailChange.composeEmailChangedMail,
    "email-otp": emailOtp.composeCodeMail,
  };
  const mailWorker = createMailWorker({ queue: mailQueue, composers, mailer, clock, logger, settings: config.mail.queue, observations });
  // Faroe's flows (server-to-server): requests the caller mails itself, paged user lists.
  const userDirectory = createUserDirectory({ directory: createUserDirectoryRepository(db) });
  const emailVerification = createEmailVerification({ auth: config.auth, challenges, users, rateLimits });
  // Sign-in through other providers: the identities, the adapters the settings enable, and the flow around them.
  const identities = createIdentities({
    repository: createIdentitiesRepository(db),
    clock,
    random,
    cipher: config.providers.keepTokens ? createTokenCipher({ secret: deps.cookieSecret, purpose: "provider tokens", randomBytes: random.bytes }) : null,
    signInMethods,
    events,
  });
  const administration = createAdministration({
    config,
    db,
    clock,
    random,
    users,
    callerGate,
    sessions,
    passwordCheck,
    signIn,
    secondFactors,
    passkeys,
    passkeySignIn,
    challenges,
    identities,
    passwordReset,
    activation,
    mailQueue,
    mailer,
  });
  const resetRequests = createResetRequests({ auth: config.auth, challenges, users, passwords, totp, secondFactorReset, sessions, rateLimits });
  const providerSignIn = createProviderSignIn({ settings: config.providers, users, callerGate, identities, signIn, sessions, accessTokens, events });
  const providerFlow = createProviderFlow({
    settings: config.providers,
    registry: createProviderRegistry(configuredProviders(config.providers, { clock })),
    challenges,
    providerSignIn,
    random,
    events,
    logger,
    observations,
  });
  return {
    clock,
    random,
    publicUrl,
    logger,
    mailWorker,
    users,
    callerGate,
    signInMethods,
    sessions,
    challenges,
    signingKeys,
    jwt,
    accessTokens,
    activation,
    sessionTokens,
    rateLimits,
    guesses,
    events,
    totp,
    signIn,
    login,
    passkeys,
    passkeySignIn,
    passwordReset,
    emailChange,
    apiTokens,
    emailOtp,
    backupCodes,
    twoFactorSetup,
    userDirectory,
    passwordCheck,
    secondFactorReset,
    emailVerification,
    resetRequests,
    identities,
    providerFlow,
    administration,
  };
}
