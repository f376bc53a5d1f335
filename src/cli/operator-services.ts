// The part of core the operator's `latchkey user ...` commands use, built by the same code as the server's
// (core/index.ts createAccountServices) on the same database and file store: the registration policy, sessions and
// second factors behave exactly as they do for a request, so an account made or changed here is one the server accepts.
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import type { Users } from "../core/accounts/users.ts";
import { createAccountServices } from "../core/index.ts";
import type { SecondFactors } from "../core/second-factors/index.ts";
import type { Passkeys } from "../core/second-factors/passkeys.ts";
import type { Sessions } from "../core/sessions/sessions.ts";
import { systemClock } from "../lib/clock.ts";
import { consoleLogger } from "../lib/logger.ts";
import { systemRandom, type Random } from "../lib/random.ts";
import { dataPaths } from "../server.ts";
import { openOwnedFiles } from "../storage/index.ts";

export interface OperatorServices {
  users: Users;
  sessions: Sessions;
  secondFactors: SecondFactors;
  passkeys: Passkeys;
  random: Random;
}

export function operatorServices(config: Config, db: Database): OperatorServices {
  const random = systemRandom;
  // An account's files go with it, from the same database and file store as the server's (STORAGE_URL or DATA_DIR).
  const ownedData = openOwnedFiles({ s3: config.storage.s3, db, root: dataPaths(config.server.dataDir).storage, logger: consoleLogger });
  // The server's policy: a password set here meets MIN_PASSWORD_LENGTH and, with HIBP_ENABLED, is not a known breach
  // (a failed breach check is a warning on stderr). The commands never rotate a refresh token or check a guess, so
  // the session lines that logger could also write do not arise here; a passkey removed is a security event, written
  // there as it would be by the server (INFO, `passkey_removed`).
  const { users, sessions, secondFactors, passkeys } = createAccountServices({ config, db, clock: systemClock, random, logger: consoleLogger, ownedData });
  return { users, sessions, secondFactors, passkeys, random };
}
