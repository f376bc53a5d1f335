// The counters behind core/throttling/rate-limits.ts: one row per key, a count in a fixed window, shared by every instance.
// Every login counts, gives back and clears counters, so each statement is compiled once here (drizzle otherwise
// rebuilds a query's SQL on every call); the read of one counter is a lookup by the primary key (db.lookup).
import { eq, sql } from "drizzle-orm";
import type { Database } from "../database.ts";

/** One counter as stored. */
export interface RateLimitCounter {
  count: number;
  /** When its window started, epoch ms. */
  windowStart: number;
}

/** The rate-limit counters, by key (`login-failure:user:<id>`, `guess:ip:<ip>` ...). */
export interface RateLimitsRepository {
  /** The counter under `key`, or null; whether its window has passed is the caller's question. */
  counter(key: string): Promise<RateLimitCounter | null>;
  /**
   * Counts one event under `key` and answers the count, in one atomic upsert: concurrent hits on any instance each
   * get their own count. A counter whose window started at or before `expiredAt` starts a new one at `now`, at 1.
   */
  hit(key: string, times: { now: number; expiredAt: number }): Promise<number>;
  /** Gives one event back, never below 0; a key never hit stays without a counter. */
  refund(key: string): Promise<void>;
  /** Removes the counter. */
  remove(key: string): Promise<void>;
}

export function createRateLimitsRepository(db: Database): RateLimitsRepository {
  const { rateLimits } = db.tables;
  const counterOf = db.lookup(
    db.select({ count: rateLimits.count, windowStart: rateLimits.windowStart }).from(rateLimits).where(eq(rateLimits.key, sql.placeholder("key"))),
  ); // the primary key: no LIMIT
  const upsertHit = db
    .insert(rateLimits)
    .values({ key: sql.placeholder("key"), count: 1, windowStart: sql.placeholder("now") })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`CASE WHEN ${rateLimits.windowStart} <= ${sql.placeholder("expired")} THEN 1 ELSE ${rateLimits.count} + 1 END`,
        windowStart: sql`CASE WHEN ${rateLimits.windowStart} <= ${sql.placeholder("expired")} THEN ${sql.placeholder("now")} ELSE ${rateLimits.windowStart} END`,
      },
    })
    .returning({ count: rateLimits.count })
    .prepare();
  const refundRow = db
    .update(rateLimits)
    .set({ count: sql`CASE WHEN ${rateLimits.count} > 0 THEN ${rateLimits.count} - 1 ELSE 0 END` })
    .where(eq(rateLimits.key, sql.placeholder("key")))
    .prepare();
  const deleteRow = db.delete(rateLimits).where(eq(rateLimits.key, sql.placeholder("key"))).prepare();

  return {
    counter: counterOf,
    async hit(key, { now, expiredAt }) {
      const [row] = await upsertHit.execute({ key, now, expired: expiredAt });
      return row!.count;
    },
    async refund(key) {
      await refundRow.execute({ key });
    },
    async remove(key) {
      await deleteRow.execute({ key });
    },
  };
}
