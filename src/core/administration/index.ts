// The admin console's part of core (apis/console/ is its API): console sessions and sign-in, the audit log, the
// user search and user page, the actions on accounts, the overview's figures and the security events kept for it.
// Built once by core/index.ts from the services every API shares, so an administrator's action meets the same
// rules as the request or command that does the same thing.
import type { Config } from "../../config.ts";
import type { Database } from "../../db/client.ts";
import { createAccountDetailsRepository } from "../../db/repositories/account-details.ts";
import { createAuditLogRepository } from "../../db/repositories/audit-log.ts";
import { createConsoleSessionsRepository } from "../../db/repositories/console-sessions.ts";
import { createOverviewRepository } from "../../db/repositories/overview.ts";
import { createSecurityEventsRepository } from "../../db/repositories/security-events.ts";
import { createSessionsRepository } from "../../db/repositories/sessions.ts";
import { createUserSearchRepository } from "../../db/repositories/user-search.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Random } from "../../lib/random.ts";
import type { CallerGate } from "../accounts/caller-gate.ts";
import type { Users } from "../accounts/users.ts";
import type { Activation } from "../challenges/activation.ts";
import type { PasswordReset } from "../challenges/password-reset.ts";
import type { PasswordCheck } from "../passwords/password-check.ts";
import type { SecondFactors } from "../second-factors/index.ts";
import type { Passkeys } from "../second-factors/passkeys.ts";
import type { Sessions } from "../sessions/sessions.ts";
import type { SignIn } from "../sign-in/sign-in.ts";
import type { PasskeySignIn } from "../sign-in/passkey-sign-in.ts";
import type { Challenges } from "../challenges/challenges.ts";
import type { Identities } from "../identities/identities.ts";
import { createAccountDetails } from "./account-details.ts";
import { createMailAdministration } from "./mail-administration.ts";
import { createMailQueueRepository } from "../../db/repositories/mail-queue.ts";
import type { Mailer } from "../mail/mailer.ts";
import type { MailQueue } from "../mail/queue.ts";
import { createAuditLog } from "./audit-log.ts";
import { createConsoleSessions } from "./console-sessions.ts";
import { createConsoleSignIn } from "./console-sign-in.ts";
import { createOverview } from "./overview.ts";
import { createSecurityEventLog } from "./security-event-log.ts";
import { createUserAdministration } from "./user-administration.ts";
import { createUserSearch } from "./user-search.ts";

export function createAdministration(deps: {
  config: Pick<Config, "console" | "auth" | "webauthn">;
  db: Database;
  clock: Clock;
  random: Random;
  users: Users;
  callerGate: CallerGate;
  sessions: Sessions;
  passwordCheck: PasswordCheck;
  signIn: Pick<SignIn, "afterFirstFactor" | "withTotp">;
  secondFactors: SecondFactors;
  passkeys: Pick<Passkeys, "remove" | "list">;
  passkeySignIn: Pick<PasskeySignIn, "mfaOptions" | "withMfaTicket">;
  identities: Pick<Identities, "unlink">;
  challenges: Pick<Challenges, "issueTicket">;
  passwordReset: Pick<PasswordReset, "request">;
  activation: Pick<Activation, "queueActivationMail">;
  mailQueue: Pick<MailQueue, "retry">;
  mailer: Pick<Mailer, "sendTest" | "preview">;
}) {
  const { config, db, clock, random, users, callerGate, sessions, secondFactors } = deps;
  const audit = createAuditLog({ entries: createAuditLogRepository(db), clock, random });
  const eventRows = createSecurityEventsRepository(db);
  const consoleSessions = createConsoleSessions({
    store: createConsoleSessionsRepository(db),
    callerGate,
    clock,
    random,
    idleMinutes: config.console.idleMinutes,
  });
  const signIn = createConsoleSignIn({
    passwordCheck: deps.passwordCheck,
    signIn: deps.signIn,
    passkeySignIn: deps.passkeySignIn,
    passkeys: deps.passkeys,
    challenges: deps.challenges,
    sessions: consoleSessions,
    audit,
    requireMfa: config.console.requireMfa,
    passkeysEnabled: config.webauthn.enabled,
    ticketTtlSeconds: config.auth.ticketExpiresInSeconds,
  });
  const accounts = createAccountDetails({
    users,
    sessions,
    totp: secondFactors.totp,
    details: createAccountDetailsRepository(db),
    events: eventRows,
  });
  return {
    audit,
    sessions: consoleSessions,
    signIn,
    accounts,
    search: createUserSearch({ search: createUserSearchRepository(db) }),
    userActions: createUserAdministration({
      users,
      sessions,
      secondFactors,
      passkeys: deps.passkeys,
      identities: deps.identities,
      passwordReset: deps.passwordReset,
      activation: deps.activation,
      details: accounts,
      audit,
      defaultAllowedRoles: config.auth.defaultAllowedUserRoles,
    }),
    overview: createOverview({ figures: createOverviewRepository(db), sessions: createSessionsRepository(db), events: eventRows, clock }),
    securityEvents: createSecurityEventLog({ events: eventRows }),
    mail: createMailAdministration({ mails: createMailQueueRepository(db), queue: deps.mailQueue, mailer: deps.mailer, audit }),
  };
}

export type Administration = ReturnType<typeof createAdministration>;
