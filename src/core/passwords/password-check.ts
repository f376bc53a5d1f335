// The one place that decides whether a password is an account's. Every password sign-in of every dialect comes here
// (HBP, WolfPal and lncrawl through login.ts and sign-in.ts; Faroe's POST /login/password directly), so each gets the
// same protections:
// - a guess: counted by the guess limiter per (account, client IP) and per account (guesses.ts), the same counters
//   whichever API is used, so switching API gains an attacker nothing; every failure is a security event there;
// - an unknown account, a password-less one and a wrong password fail alike and take the same time (one argon2id
//   check against a dummy hash, ~57 ms), so sign-in does not reveal which accounts exist;
// - the account's state (disabled, not activated) is reported only after the password is proven;
// - an imported bcrypt hash, or one with older argon2 parameters, is re-hashed while the password is at hand.
import type { UsersRepository } from "../../db/repositories/users.ts";
import { CoreError, isCoreError } from "../errors.ts";
import type { Guesses } from "../throttling/guesses.ts";
import type { HashClient, PasswordHasher } from "./passwords.ts";
import type { Limit } from "../throttling/rate-limits.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import type { Observations, SignInResult } from "../observations.ts";
import { assertCanSignIn, normaliseEmail, normaliseUsername, type User, type Users } from "../accounts/users.ts";

/** Failed passwords per client IP, when the caller says who the client is (Faroe's login limiter). */
const FAILURES_PER_IP = { max: 5, windowSeconds: 15 * 60 };

export interface PasswordCheck {
  /**
   * The account `login` names (an address, or a username such as lncrawl's `admin`), once `password` is proven its
   * and the account may sign in: `invalid_credentials` (unknown account and wrong password alike), `rate_limited`,
   * `account_disabled`, `account_inactive`.
   */
  check(login: string, password: string, client: SessionContext): Promise<User>;
  /**
   * The same for an API that answers facts, not sessions, server to server (Faroe's POST /login/password): such an
   * API already lists its users, so an unknown address is `user_not_found`; and the client's failed passwords are
   * also counted per IP (only a wrong password keeps its count).
   */
  checkListed(email: string, password: string, client: SessionContext): Promise<User>;
  /**
   * Throws `rate_limited` (with Retry-After) when a check for a client at `ip` would be refused now for want of room in
   * the hash queue (hash-admission.ts). The dialects ask it on their password routes before the request's body is
   * parsed, so that a flood's refused try costs the server no more than its headers; `check` asks again.
   */
  assertRoom(ip: string | null): void;
}

export function createPasswordCheck(deps: {
  accounts: Pick<UsersRepository, "byEmail" | "byUsername">;
  users: Pick<Users, "upgradePasswordHash">;
  passwords: PasswordHasher;
  guesses: Guesses;
  observations: Pick<Observations, "signIn">;
}): PasswordCheck {
  const { accounts, users, passwords, guesses, observations } = deps;

  /** A failed check counted by how it failed (a success is counted by the caller, who knows what followed). */
  async function observed(checking: Promise<User>): Promise<User> {
    try {
      return await checking;
    } catch (error) {
      const result: SignInResult | null = isCoreError(error, "invalid_credentials")
        ? "wrong_password"
        : isCoreError(error, "rate_limited")
          ? "throttled"
          : isCoreError(error, "account_disabled") || isCoreError(error, "account_inactive")
            ? "refused"
            : null;
      if (result !== null) observations.signIn(result);
      throw error;
    }
  }

  /** The password against the account found (or the dummy hash); then the account's state. */
  async function prove(user: User | null, password: string, from: HashClient): Promise<User> {
    if (!user || user.passwordHash === null) {
      await passwords.verifyDummy(password, from);
      throw new CoreError("invalid_credentials");
    }
    if (!(await passwords.verify(password, user.passwordHash, from))) throw new CoreError("invalid_credentials");
    await users.upgradePasswordHash(user, password);
    assertCanSignIn(user);
    return user;
  }

  return {
    async check(login, password, client) {
      // No room for this address's hash: refused before anything is read or counted (a flood's refusals cost nothing).
      passwords.assertRoom(client.ip);
      // The account first: its row is the one the password is checked against, and it names the account the guess
      // is counted for. A username (lncrawl, WolfPal) counts by the account's address, or an account's address and
      // username would be two sets of tries; an unknown name counts as itself. Reading before counting costs a
      // refused try one indexed read, the same for a known and an unknown name.
      const byAddress = login.includes("@");
      const user = byAddress ? await accounts.byEmail(normaliseEmail(login)) : await accounts.byUsername(normaliseUsername(login));
      const account = `email:${user?.email ?? normaliseEmail(login)}`;
      return observed(guesses.attempt({ ip: client.ip, account }, () => prove(user, password, client.ip)));
    },

    assertRoom: (ip) => passwords.assertRoom(ip),

    async checkListed(email, password, client) {
      passwords.assertRoom(client.ip);
      const user = await accounts.byEmail(normaliseEmail(email));
      if (!user) throw new CoreError("user_not_found");
      const perIp: Limit[] = client.ip ? [{ key: `password-failure:ip:${client.ip}`, ...FAILURES_PER_IP }] : [];
      const proven = await observed(
        guesses.attempt({ ip: client.ip, account: `email:${normaliseEmail(email)}` }, () => prove(user, password, client.ip), { alsoCount: perIp }),
      );
      // Faroe answers the facts and its caller goes on from there: a proven password is this API's whole sign-in.
      observations.signIn("success");
      return proven;
    },
  };
}
