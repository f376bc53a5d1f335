// Rate limiting for every check an attacker could repeat to guess a secret: passwords, tickets, codes, TOTP, the
// admin secret. Two threats pull in opposite directions: guessing (many tries at one account) and lockout (a
// stranger who knows an address using up its limit so that the owner's right password is refused). So:
// - A first factor (a password: anyone who knows the address can try it) is limited
//     per (account, client IP) strictly: RATE_LIMIT_MAX_PER_ACCOUNT_AND_IP (5) per window stops an attacker's
//       address, while the owner signing in from another address is not affected;
//     per account from all IPs only at a high cap: RATE_LIMIT_MAX_PER_ACCOUNT (100 per window, NIST SP 800-63B's
//       upper bound), and once RATE_LIMIT_DELAY_AFTER (10) tries at it failed, each further try must come 1 s,
//       2 s, 4 s ... at most 60 s after the previous one or is refused with Retry-After. Refusing costs the server
//       one upsert where sleeping would hold a connection; a botnet gets ~30 tries an account per 15 minutes, and
//       the owner, delayed along with it, waits at most a minute.
// - A second factor (TOTP, backup, recovery or mailed codes) can only be tried by someone past the first, so a
//   stranger cannot lock the owner out with it, and its code space is small (6 digits): 5 per account per
//   window from all IPs (Faroe's number for TOTP and recovery codes).
// - Every guess also counts per client IP across accounts: RATE_LIMIT_MAX_PER_IP (50) stops one address
//   spraying many accounts.
// Each try is counted *before* the check, one atomic upsert per counter, so parallel requests cannot all slip in
// before the first failure is recorded. A refused try counts nowhere, and neither does one whose outcome was not
// a wrong guess. A success clears its account's counts (only that account's secret can succeed, so nobody clears
// another account's count by signing into their own) but not the IP's: one good sign-in must not wipe the
// failures an address piled up against other accounts.
// Unknown accounts are counted by the name tried (the email), so the limiter behaves the same whether or not the
// account exists. Every failure and refusal is a security event (core/security-events.ts).
import type { Config } from "../../config.ts";
import { CoreError, isCoreError, type CoreErrorCode } from "../errors.ts";
import type { Limit, RateLimits } from "./rate-limits.ts";
import type { SecurityEvents } from "../security-events.ts";

/** Failures that mean "wrong guess"; any other outcome comes after the secret was proven. */
const WRONG_GUESS: ReadonlySet<CoreErrorCode> = new Set([
  "invalid_credentials",
  "invalid_ticket",
  "invalid_refresh_token",
  "invalid_totp_code",
  "invalid_admin_secret",
  "incorrect_current_password",
  "incorrect_code",
  "invalid_otp",
  "invalid_passkey",
]);

/** Second-factor codes per account per window, from all IPs: 6-digit codes, 5 tries in 10^6 a window. */
const SECOND_FACTOR_PER_ACCOUNT = 5;
/** Mails (and other costly actions) per account per window: a flood of reset mails to one inbox stops here. */
const ACTIONS_PER_ACCOUNT = 5;
/** The longest wait between tries at one account. */
const MAX_DELAY_SECONDS = 60;

export interface GuessScope {
  ip?: string | null;
  /** e.g. `email:a@b.c`, `user:<id>`: the account the secret is tried against. */
  account?: string;
  /** A second factor: its account is limited strictly, from all IPs (see the head of this file). */
  secondFactor?: boolean;
}

/** What one try counts, and what its outcome does to the counts. */
interface Plan {
  /** Counted before the check, in this order; the first one over its limit refuses the try. */
  limits: Limit[];
  /** For a first factor: where its account-wide count is in `limits`, and the key that spaces out its tries. */
  spacing?: { accountIndex: number; key: string };
  /** On success, given back (only failures count)... */
  refundOnSuccess: string[];
  /** ...and cleared (the spacing stamp too, when this try made one). */
  resetOnSuccess: string[];
}

/** Seconds the next try at an account must wait after the last one, once `failures` tries at it failed. */
export function delayBeforeNextTry(failures: number, delayAfter: number): number {
  if (failures < delayAfter) return 0;
  return Math.min(2 ** (failures - delayAfter), MAX_DELAY_SECONDS);
}

/** Every guessable check and costly action goes through here (the head of this file says how each is counted). */
export interface Guesses {
  /**
   * Counts an action that is not a guess but costs something (a mail sent, an account created) against its
   * own limits, per IP and account, with no refund: a flood of reset mails or anonymous accounts stops at the
   * limit. Kept apart from the guess counters, so it can neither fill nor clear them.
   */
  throttle(action: string, scope: GuessScope): Promise<void>;
  /**
   * Runs `check` unless the scope is over its limits (then `rate_limited`, with when to retry). `alsoCount`:
   * a caller's own limits (Faroe's login failures per client IP), counted after the IP's and settled the same
   * way: given back unless the guess was wrong.
   */
  attempt<T>(scope: GuessScope, check: () => Promise<T>, options?: { alsoCount?: Limit[] }): Promise<T>;
}

export function createGuesses(deps: { rateLimits: RateLimits; config: Config["rateLimits"]; events: SecurityEvents }): Guesses {
  const { rateLimits, config, events } = deps;
  const { windowSeconds } = config;

  function planFor(scope: GuessScope, alsoCount: Limit[]): Plan {
    const ip: Limit[] = scope.ip ? [{ key: `guess:ip:${scope.ip}`, max: config.maxPerIp, windowSeconds }] : [];
    const perIp = [...ip, ...alsoCount];
    const refundOnSuccess = perIp.map((limit) => limit.key);
    if (!scope.account) return { limits: perIp, refundOnSuccess, resetOnSuccess: [] };
    if (scope.secondFactor) {
      const account = { key: `guess:second-factor:${scope.account}`, max: SECOND_FACTOR_PER_ACCOUNT, windowSeconds };
      return { limits: [...perIp, account], refundOnSuccess, resetOnSuccess: [account.key] };
    }
    // Without a client IP (a Faroe call without X-Client-IP) every try shares one pair: strict per account.
    const pair = { key: `guess:from:${scope.ip ?? "unknown"}:${scope.account}`, max: config.maxPerAccountAndIp, windowSeconds };
    const account = { key: `guess:${scope.account}`, max: config.maxPerAccount, windowSeconds };
    const spacingKey = `guess:spacing:${scope.account}`;
    return {
      limits: [...perIp, pair, account],
      spacing: { accountIndex: perIp.length + 1, key: spacingKey },
      refundOnSuccess,
      resetOnSuccess: [pair.key, account.key],
    };
  }

  /**
   * Counts the try, or refuses it (`rate_limited`, with when to retry) leaving every count as it was. Returns
   * whether the try was stamped for spacing (then a success clears the stamp too).
   */
  async function admit(plan: Plan): Promise<boolean> {
    const counts = await rateLimits.consumeAll(plan.limits);
    if (!plan.spacing) return false;
    const failuresBefore = counts[plan.spacing.accountIndex]! - 1;
    // Spacing starts at the try before the threshold, which waits for nothing and stamps: below it a try is neither
    // stamped nor checked (most sign-ins: two statements saved), and a stamp left from an earlier window never
    // delays anyone.
    if (failuresBefore < config.delayAfter - 1) return false;
    try {
      // One try per window of the delay, the window starting at the last try let through: one atomic upsert,
      // so of parallel tries only one passes.
      await rateLimits.consume({ key: plan.spacing.key, max: 1, windowSeconds: delayBeforeNextTry(failuresBefore, config.delayAfter) });
    } catch (error) {
      await rateLimits.settle({ refund: plan.limits.map((limit) => limit.key) });
      throw error;
    }
    return true;
  }

  return {
    async throttle(action, scope) {
      if (scope.ip) await rateLimits.consume({ key: `${action}:guess:ip:${scope.ip}`, max: config.maxPerIp, windowSeconds });
      if (scope.account) await rateLimits.consume({ key: `${action}:guess:${scope.account}`, max: ACTIONS_PER_ACCOUNT, windowSeconds });
    },

    async attempt<T>(scope: GuessScope, check: () => Promise<T>, options: { alsoCount?: Limit[] } = {}): Promise<T> {
      const plan = planFor(scope, options.alsoCount ?? []);
      const who = { ip: scope.ip, account: scope.account };
      let stamped: boolean;
      try {
        stamped = await admit(plan);
      } catch (error) {
        if (isCoreError(error, "rate_limited")) events.record("locked_out", who);
        throw error;
      }
      let result: T;
      try {
        result = await check();
      } catch (error) {
        if (error instanceof CoreError && WRONG_GUESS.has(error.code)) {
          events.record(error.code === "invalid_admin_secret" ? "admin_secret_failed" : "sign_in_failed", { ...who, reason: error.code });
          throw error;
        }
        if (isCoreError(error, "account_disabled")) events.record("disabled_account", who);
        await rateLimits.settle({ refund: plan.limits.map((limit) => limit.key) });
        throw error;
      }
      const reset = stamped ? [...plan.resetOnSuccess, plan.spacing!.key] : plan.resetOnSuccess;
      await rateLimits.settle({ refund: plan.refundOnSuccess, reset });
      return result;
    },
  };
}
