// The part of core the operator's `latchkey user ...` commands use, built from the same pieces as the server's
// (core/index.ts) on the same database and file store: the registration policy, sessions and second factors behave
// exactly as they do for a request, so an account made or changed here is one the server accepts.
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import { createRateLimitsRepository } from "../db/repositories/rate-limits.ts";
import { createRecoveryCodesRepository } from "../db/repositories/recovery-codes.ts";
import { createSessionsRepository } from "../db/repositories/sessions.ts";
import { createTotpRepository } from "../db/repositories/totp.ts";
import { createUsersRepository } from "../db/repositories/users.ts";
import { createCallerGate } from "../core/accounts/caller-gate.ts";
import { createRegistrationPolicy } from "../core/accounts/registration-policy.ts";
import { createUsers, type Users } from "../core/accounts/users.ts";
import { createBreachedPasswords } from "../core/passwords/breached-passwords.ts";
import { createPasswordHasher } from "../core/passwords/passwords.ts";
import { createSecondFactors, type SecondFactors } from "../core/second-factors/index.ts";
import { createSecurityEvents } from "../core/security-events.ts";
import { createSessions, sessionSettings, type Sessions } from "../core/sessions/sessions.ts";
import { createGuesses } from "../core/throttling/guesses.ts";
import { createRateLimits } from "../core/throttling/rate-limits.ts";
import { systemClock } from "../lib/clock.ts";
import { consoleLogger, silentLogger } from "../lib/logger.ts";
import { systemRandom, type Random } from "../lib/random.ts";
import { dataPaths } from "../server.ts";
import { openOwnedFiles } from "../storage/index.ts";

export interface OperatorServices {
  users: Users;
  sessions: Sessions;
  secondFactors: SecondFactors;
  random: Random;
}

export function operatorServices(config: Config, db: Database): OperatorServices {
  const clock = systemClock;
  const random = systemRandom;
  const passwords = createPasswordHasher({ memoryKiB: config.passwords.argon2MemoryKiB, timeCost: config.passwords.argon2TimeCost });
  // An account's files go with it, from the same database and file store as the server's (STORAGE_URL or DATA_DIR).
  const ownedData = openOwnedFiles({ s3: config.storage.s3, db, root: dataPaths(config.server.dataDir).storage, logger: consoleLogger });
  // The server's policy: a password set here meets MIN_PASSWORD_LENGTH and, with HIBP_ENABLED, is not a known breach.
  const registration = createRegistrationPolicy({
    settings: config.registration,
    breached: createBreachedPasswords({ enabled: config.passwords.hibpEnabled, logger: consoleLogger }),
  });
  const users = createUsers({ accounts: createUsersRepository(db), clock, random, passwords, auth: config.auth, registration, ownedData });
  const callerGate = createCallerGate({ users });
  const sessions = createSessions({ store: createSessionsRepository(db), clock, random, settings: sessionSettings(config), logger: silentLogger, callerGate });
  const guesses = createGuesses({
    rateLimits: createRateLimits({ counters: createRateLimitsRepository(db), clock }),
    config: config.rateLimits,
    events: createSecurityEvents(silentLogger),
  });
  const secondFactors = createSecondFactors({
    totpCredentials: createTotpRepository(db),
    recoveryCodes: createRecoveryCodesRepository(db),
    clock,
    random,
    issuer: config.auth.otpIssuer,
    guesses,
  });
  return { users, sessions, secondFactors, random };
}
