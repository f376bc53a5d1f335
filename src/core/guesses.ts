// Rate limiting for every check an attacker could repeat to guess a secret: passwords, tickets, codes, TOTP,
// the admin secret. Each attempt is counted *before* the check, per client IP and per account, so that parallel
// requests cannot all slip in before the first failure is recorded. An attempt that was not a wrong guess is
// given back; a success also clears the account's count (not the IP's: one good login must not wipe the
// failures an address piled up against other accounts).
// Unknown accounts are counted by the name tried (the email), so the limiter behaves the same whether or not
// the account exists.
import type { Config } from "../config.ts";
import { CoreError, type CoreErrorCode } from "./errors.ts";
import type { Limit, RateLimits } from "./rate-limits.ts";

/** Failures that mean "wrong guess"; any other outcome comes after the secret was proven. */
const WRONG_GUESS: ReadonlySet<CoreErrorCode> = new Set([
  "invalid_credentials",
  "invalid_ticket",
  "invalid_refresh_token",
  "invalid_totp_code",
  "invalid_admin_secret",
  "incorrect_current_password",
  "incorrect_code",
]);

export interface GuessScope {
  ip?: string | null;
  /** e.g. `email:a@b.c`, `user:<id>`; limited per account as well as per IP. */
  account?: string;
}

export type Guesses = ReturnType<typeof createGuesses>;

export function createGuesses(deps: { rateLimits: RateLimits; config: Config["rateLimits"] }) {
  const { rateLimits, config } = deps;

  function limitsFor(scope: GuessScope): { ip?: Limit; account?: Limit } {
    const { windowSeconds } = config;
    return {
      ip: scope.ip ? { key: `guess:ip:${scope.ip}`, max: config.maxPerIp, windowSeconds } : undefined,
      account: scope.account ? { key: `guess:${scope.account}`, max: config.maxPerAccount, windowSeconds } : undefined,
    };
  }

  return {
    /**
     * Counts an action that is not a guess but costs something (a mail sent, an account created) against its
     * own limits, per IP and account, with no refund: a flood of reset mails or anonymous accounts stops at the
     * limit. Kept apart from the guess counters, so it can neither fill nor clear them.
     */
    async throttle(action: string, scope: GuessScope): Promise<void> {
      const { ip, account } = limitsFor(scope);
      if (ip) await rateLimits.consume({ ...ip, key: `${action}:${ip.key}` });
      if (account) await rateLimits.consume({ ...account, key: `${action}:${account.key}` });
    },

    /** Runs `check` unless the scope is over its limits (then `rate_limited`, with when to retry). */
    async attempt<T>(scope: GuessScope, check: () => Promise<T>): Promise<T> {
      const { ip, account } = limitsFor(scope);
      // The IP first: over its limit, the account is not counted.
      await rateLimits.consumeAll([ip, account].filter((limit): limit is Limit => limit !== undefined));
      let result: T;
      try {
        result = await check();
      } catch (error) {
        if (error instanceof CoreError && WRONG_GUESS.has(error.code)) throw error;
        await rateLimits.settle({ refund: [ip?.key, account?.key].filter((key): key is string => key !== undefined) });
        throw error;
      }
      await rateLimits.settle({ refund: ip ? [ip.key] : [], reset: account ? [account.key] : [] });
      return result;
    },
  };
}
