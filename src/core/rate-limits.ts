// Fixed-window counters kept in the database, so limits hold across restarts and across instances.
// Every guessable check (passwords, tickets, codes, TOTP) goes through here, per IP and per account.
import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { rateLimits } from "../db/schema.ts";
import type { Clock } from "./clock.ts";
import { CoreError } from "./errors.ts";

export interface Limit {
  /** What is limited and for whom, e.g. `login-failure:user:<id>` or `guess:ip:<ip>`. */
  key: string;
  max: number;
  windowSeconds: number;
}

export type RateLimits = ReturnType<typeof createRateLimits>;

export function createRateLimits(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;

  /** The count in the current window (0 when the window has passed) and when that window ends. */
  async function peek(limit: Limit): Promise<{ count: number; resetsAt: number }> {
    const now = clock.now();
    const windowMs = limit.windowSeconds * 1000;
    const [row] = await db.select().from(rateLimits).where(eq(rateLimits.key, limit.key)); // the primary key (no LIMIT: a bound LIMIT is slow)
    if (!row || row.windowStart <= now - windowMs) return { count: 0, resetsAt: now + windowMs };
    return { count: row.count, resetsAt: row.windowStart + windowMs };
  }

  function refuse(resetsAt: number): never {
    throw new CoreError("rate_limited", undefined, { retryAfterSeconds: Math.max(1, Math.ceil((resetsAt - clock.now()) / 1000)) });
  }

  return {
    /** Throws `rate_limited` when the limit is already reached, without counting. */
    async check(limit: Limit): Promise<void> {
      const { count, resetsAt } = await peek(limit);
      if (count >= limit.max) refuse(resetsAt);
    },

    /**
     * Counts one event; returns the count in the window. One upsert, so concurrent requests on any instance
     * cannot both slip under the limit.
     */
    async hit(limit: Limit): Promise<number> {
      const now = clock.now();
      const expired = now - limit.windowSeconds * 1000;
      const [row] = await db
        .insert(rateLimits)
        .values({ key: limit.key, count: 1, windowStart: now })
        .onConflictDoUpdate({
          target: rateLimits.key,
          set: {
            count: sql`CASE WHEN ${rateLimits.windowStart} <= ${expired} THEN 1 ELSE ${rateLimits.count} + 1 END`,
            windowStart: sql`CASE WHEN ${rateLimits.windowStart} <= ${expired} THEN ${now} ELSE ${rateLimits.windowStart} END`,
          },
        })
        .returning({ count: rateLimits.count });
      return row!.count;
    },

    /** Counts one event and throws `rate_limited` once it goes over the limit. */
    async consume(limit: Limit): Promise<void> {
      const count = await this.hit(limit);
      if (count > limit.max) refuse((await peek(limit)).resetsAt);
    },

    /** Gives one counted event back (an attempt that turned out not to be a wrong guess). */
    async refund(key: string): Promise<void> {
      await db
        .update(rateLimits)
        .set({ count: sql`max(${rateLimits.count} - 1, 0)` })
        .where(eq(rateLimits.key, key));
    },

    async reset(key: string): Promise<void> {
      await db.delete(rateLimits).where(eq(rateLimits.key, key));
    },
  };
}
