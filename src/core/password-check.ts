// Checking a user's password for an API that answers facts, not sessions (Faroe's POST /login/password: the
// caller's backend starts its own session, and asks for the second factor itself when `registered_totp`).
// Such an API is server-to-server and already lists its users, so an unknown address is reported as such.
import { CoreError } from "./errors.ts";
import type { Guesses } from "./guesses.ts";
import type { Limit } from "./rate-limits.ts";
import type { SessionContext } from "./sessions.ts";
import { normaliseEmail, type User, type Users } from "./users.ts";

/** Failed passwords per client IP, when the caller says who the client is (Faroe's login limiter). */
const FAILURES_PER_IP = { max: 5, windowSeconds: 15 * 60 };

export type PasswordCheck = ReturnType<typeof createPasswordCheck>;

export function createPasswordCheck(deps: { users: Users; guesses: Guesses }) {
  const { users, guesses } = deps;

  return {
    /**
     * The user, once the password is right and the account may sign in. `user_not_found`, `rate_limited`,
     * `invalid_credentials`, `account_disabled`, `account_inactive`.
     * Limits: the shared guess limiter (per address and IP, the same counters HBP's login uses, so switching
     * API gains an attacker nothing), plus Faroe's failures per client IP, counted and given back with them
     * (only a wrong password keeps its count).
     */
    async verify(email: string, password: string, client: SessionContext): Promise<User> {
      if (!(await users.findByEmail(email))) throw new CoreError("user_not_found");
      const perIp: Limit[] = client.ip ? [{ key: `password-failure:ip:${client.ip}`, ...FAILURES_PER_IP }] : [];
      return guesses.attempt({ ip: client.ip, account: `email:${normaliseEmail(email)}` }, () => users.authenticate(email, password), {
        alsoCount: perIp,
      });
    },
  };
}
