// Fixed-window counters kept in the database, so limits hold across restarts and across instances.
// Every guessable check (passwords, tickets, codes, TOTP) goes through here, per IP and per account.
import type { RateLimitsRepository } from "../../db/repositories/rate-limits.ts";
import type { Clock } from "../../lib/clock.ts";
import { CoreError } from "../errors.ts";

export interface Limit {
  /** What is limited and for whom, e.g. `login-failure:user:<id>` or `guess:ip:<ip>`. */
  key: string;
  max: number;
  windowSeconds: number;
}

/** Counting events against limits; `rate_limited` (with the seconds until the window ends) once one is reached. */
export interface RateLimits {
  /** Throws `rate_limited` when the limit is already reached, without counting. */
  check(limit: Limit): Promise<void>;
  /** Counts one event; returns the count in the window. */
  hit(limit: Limit): Promise<number>;
  /** Counts one event and throws `rate_limited` once it goes over the limit. */
  consume(limit: Limit): Promise<void>;
  /**
   * Counts one event against each limit in turn and returns the counts. The first one over its limit stops
   * there: the later ones are not counted, the ones this call counted are given back (a refused try counts
   * nowhere, so hammering a closed door does not push its counts higher) and `rate_limited` is thrown. Each
   * count is one atomic upsert, so no transaction is needed around them.
   */
  consumeAll(limits: Limit[]): Promise<number[]>;
  /** Gives one counted event back (an attempt that turned out not to be a wrong guess). */
  refund(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  /** refund() and reset() of several counters (each statement atomic on its own). */
  settle(changes: { refund?: string[]; reset?: string[] }): Promise<void>;
}

export function createRateLimits(deps: { counters: RateLimitsRepository; clock: Clock }): RateLimits {
  const { counters, clock } = deps;

  /** The count in the current window (0 when the window has passed) and when that window ends. */
  async function peek(limit: Limit): Promise<{ count: number; resetsAt: number }> {
    const now = clock.now();
    const windowMs = limit.windowSeconds * 1000;
    const row = await counters.counter(limit.key);
    if (!row || row.windowStart <= now - windowMs) return { count: 0, resetsAt: now + windowMs };
    return { count: row.count, resetsAt: row.windowStart + windowMs };
  }

  function refuse(resetsAt: number): never {
    throw new CoreError("rate_limited", undefined, { retryAfterSeconds: Math.max(1, Math.ceil((resetsAt - clock.now()) / 1000)) });
  }

  /** One upsert, so concurrent requests on any instance cannot both slip under the limit. */
  async function hit(limit: Limit): Promise<number> {
    const now = clock.now();
    return counters.hit(limit.key, { now, expiredAt: now - limit.windowSeconds * 1000 });
  }

  return {
    async check(limit: Limit): Promise<void> {
      const { count, resetsAt } = await peek(limit);
      if (count >= limit.max) refuse(resetsAt);
    },

    hit,

    async consume(limit: Limit): Promise<void> {
      if ((await hit(limit)) > limit.max) refuse((await peek(limit)).resetsAt);
    },

    async consumeAll(limits: Limit[]): Promise<number[]> {
      const counts: number[] = [];
      for (const limit of limits) {
        const count = await hit(limit);
        if (count > limit.max) {
          const { resetsAt } = await peek(limit);
          for (const counted of limits.slice(0, counts.length + 1)) await counters.refund(counted.key);
          refuse(resetsAt);
        }
        counts.push(count);
      }
      return counts;
    },

    refund: (key) => counters.refund(key),

    reset: (key) => counters.remove(key),

    async settle(changes: { refund?: string[]; reset?: string[] }): Promise<void> {
      for (const key of changes.refund ?? []) await counters.refund(key);
      for (const key of changes.reset ?? []) await counters.remove(key);
    },
  };
}
