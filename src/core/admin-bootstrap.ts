// The administrator account lncrawl expects (spec/lncrawl.md decision 2). With ADMIN_EMAIL and ADMIN_PASSWORD it
// is that account, its password set from the setting at every start. Without them, the first start creates the
// account `admin` with a random password printed once in the log; `admin`/`admin` never works unless configured.
import type { Logger } from "./logger.ts";
import { randomToken } from "./secrets.ts";
import type { Users } from "./users.ts";

export async function ensureAdmin(deps: {
  users: Users;
  logger: Logger;
  login: string | null;
  password: string | null;
}): Promise<void> {
  const { users, logger } = deps;
  if (deps.login !== null && deps.password !== null) {
    const { created } = await users.upsertAdmin(deps.login, deps.password);
    if (created) logger.info("created the administrator account from ADMIN_EMAIL", { login: deps.login });
    return;
  }
  if (await users.findByUsername("admin")) return;
  // 96 bits: not guessable, and rate limits stand in front of every sign-in anyway.
  const password = randomToken(12);
  await users.upsertAdmin("admin", password, { generated: true });
  logger.warn(
    `created the administrator account "admin" with the password ${password} (shown once: note it, or set ADMIN_EMAIL and ADMIN_PASSWORD)`,
  );
}
