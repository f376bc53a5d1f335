// Fixed-window counters kept in the database, so limits hold across restarts and across instances.
// Every guessable check (passwords, tickets, codes, TOTP) goes through here, per IP and per account.
import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { Clock } from "../lib/clock.ts";
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
  const { rateLimits } = db.tables;

  // Every login counts, gives back and clears counters: the statements are compiled once (drizzle otherwise
  // rebuilds each query's SQL).
  const selectRow = db.lookup(db.select().from(rateLimits).where(eq(rateLimits.key, sql.placeholder("key")))); // the primary key: no LIMIT
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

  /** The count in the current window (0 when the window has passed) and when that window ends. */
  async function peek(limit: Limit): Promise<{ count: number; resetsAt: number }> {
    const now = clock.now();
    const windowMs = limit.windowSeconds * 1000;
    const row = await selectRow(limit.key);
    if (!row || row.windowStart <= now - windowMs) return { count: 0, resetsAt: now + windowMs };
    return { count: row.count, resetsAt: row.windowStart + windowMs };
  }

  function refuse(resetsAt: number): never {
    throw new CoreError("rate_limited", undefined, { retryAfterSeconds: Math.max(1, Math.ceil((resetsAt - clock.now()) / 1000)) });
  }

  /** One upsert, so concurrent requests on any instance cannot both slip under the limit. */
  async function hit(limit: Limit): Promise<number> {
    const now = clock.now();
    const [row] = await upsertHit.execute({ key: limit.key, now, expired: now - limit.windowSeconds * 1000 });
    return row!.count;
  }

  return {
    /** Throws `rate_limited` when the limit is already reached, without counting. */
    async check(limit: Limit): Promise<void> {
      const { count, resetsAt } = await peek(limit);
      if (count >= limit.max) refuse(resetsAt);
    },

    /** Counts one event; returns the count in the window. */
    hit,

    /** Counts one event and throws `rate_limited` once it goes over the limit. */
    async consume(limit: Limit): Promise<void> {
      if ((await hit(limit)) > limit.max) refuse((await peek(limit)).resetsAt);
    },

    /**
     * Counts one event against each limit in turn and returns the counts. The first one over its limit stops
     * there: the later ones are not counted, the ones this call counted are given back (a refused try counts
     * nowhere, so hammering a closed door does not push its counts higher) and `rate_limited` is thrown. Each
     * count is one atomic upsert, so no transaction is needed around them.
     */
    async consumeAll(limits: Limit[]): Promise<number[]> {
      const counts: number[] = [];
      for (const limit of limits) {
        const count = await hit(limit);
        if (count > limit.max) {
          const { resetsAt } = await peek(limit);
          for (const counted of limits.slice(0, counts.length + 1)) await refundRow.execute({ key: counted.key });
          refuse(resetsAt);
        }
        counts.push(count);
      }
      return counts;
    },

    /** Gives one counted event back (an attempt that turned out not to be a wrong guess). */
    async refund(key: string): Promise<void> {
      await refundRow.execute({ key });
    },

    async reset(key: string): Promise<void> {
      await deleteRow.execute({ key });
    },

    /** refund() and reset() of several counters (each statement atomic on its own). */
    async settle(changes: { refund?: string[]; reset?: string[] }): Promise<void> {
      for (const key of changes.refund ?? []) await refundRow.execute({ key });
      for (const key of changes.reset ?? []) await deleteRow.execute({ key });
    },
  };
}
