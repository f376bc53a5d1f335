// `latchkey user list|disable|enable|delete <email, username or id>`: the operator's tools for accounts, run on
// the data directory while the server is stopped or running (SQLite's WAL lets both write).
import type { Config } from "../config.ts";
import { systemClock } from "../lib/clock.ts";
import { silentLogger } from "../lib/logger.ts";
import { systemRandom } from "../lib/random.ts";
import { createBreachedPasswords } from "../core/passwords/breached-passwords.ts";
import { createPasswordHasher } from "../core/passwords/passwords.ts";
import { createRegistrationPolicy } from "../core/accounts/registration-policy.ts";
import { isUuid } from "../lib/ids.ts";
import { createCallerGate } from "../core/accounts/caller-gate.ts";
import { consoleLogger } from "../lib/logger.ts";
import { createSessions, sessionSettings } from "../core/sessions/sessions.ts";
import { createSessionsRepository } from "../db/repositories/sessions.ts";
import { createUsersRepository } from "../db/repositories/users.ts";
import { createUsers, type User } from "../core/accounts/users.ts";
import { openDatabase, type DatabaseLocation } from "../db/client.ts";
import { dataPaths } from "../server.ts";
import { openOwnedFiles } from "../storage/index.ts";

export const USER_HELP = `latchkey user list                 every account: id, email or username, state
latchkey user disable <account>    ban an account and end its sessions (by email, username or id)
latchkey user enable <account>     lift the ban
latchkey user delete <account>     delete an account with its sessions, codes, tokens and files`;

/** Runs the command; returns the process exit code. */
export async function userCommand(config: Config, location: DatabaseLocation, args: string[]): Promise<number> {
  const database = await openDatabase(location);
  const { db } = database;
  try {
    await database.migrate();
    const clock = systemClock;
    const random = systemRandom;
    const passwords = createPasswordHasher({ memoryKiB: config.passwords.argon2MemoryKiB, timeCost: config.passwords.argon2TimeCost });
    // An account's files go with it, from the same database and file store as the server's (STORAGE_URL or DATA_DIR).
    const ownedData = openOwnedFiles({ s3: config.storage.s3, db, root: dataPaths(config.server.dataDir).storage, logger: consoleLogger });
    // These commands create no account and set no password: the policy is there because Users always has one.
    const registration = createRegistrationPolicy({
      settings: config.registration,
      breached: createBreachedPasswords({ enabled: false, logger: silentLogger }),
    });
    const users = createUsers({ accounts: createUsersRepository(db), clock, random, passwords, auth: config.auth, registration, ownedData });
    const callerGate = createCallerGate({ users });
    const store = createSessionsRepository(db);
    const sessions = createSessions({ store, clock, random, settings: sessionSettings(config), logger: silentLogger, callerGate });
    const [action, target] = args;

    if (action === "list") {
      for (const row of await users.list()) {
        const state = row.disabled ? "disabled" : row.active ? "active" : "inactive";
        console.log(`${row.id}  ${row.email ?? row.username ?? "(anonymous)"}  ${state}  ${row.defaultRole}`);
      }
      return 0;
    }
    if (!action || !["disable", "enable", "delete"].includes(action) || !target) {
      console.error(`latchkey: usage:\n${USER_HELP}`);
      return 2;
    }
    const user: User | null = isUuid(target) ? await users.findById(target) : await users.findByLogin(target);
    if (!user) {
      console.error(`latchkey: no account "${target}"`);
      return 1;
    }
    const name = user.email ?? user.username ?? user.id;
    if (action === "disable") {
      await users.setDisabled(user.id, true);
      await sessions.revokeAllForUser(user.id);
      console.log(`disabled ${name}; its sessions are ended`);
    } else if (action === "enable") {
      await users.setDisabled(user.id, false);
      console.log(`enabled ${name}`);
    } else {
      await users.delete(user.id);
      console.log(`deleted ${name} and its files`);
    }
    return 0;
  } finally {
    await database.close();
  }
}
