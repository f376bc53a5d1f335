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

  // Every login counts, gives back and clears counters: the statements are compiled once (drizzle otherwise
  // rebuilds each query's SQL), and a login's counting and its settling are one transaction each (issue 7's bench).
  const selectRow = db.select().from(rateLimits).where(eq(rateLimits.key, sql.placeholder("key"))).prepare(); // the primary key: no LIMIT
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
    .set({ count: sql`max(${rateLimits.count} - 1, 0)` })
    .where(eq(rateLimits.key, sql.placeholder("key")))
    .prepare();
  const deleteRow = db.delete(rateLimits).where(eq(rateLimits.key, sql.placeholder("key"))).prepare();

  /** The count in the current window (0 when the window has passed) and when that window ends. */
  function peek(limit: Limit): { count: number; resetsAt: number } {
    const now = clock.now();
    const windowMs = limit.windowSeconds * 1000;
    const row = selectRow.get({ key: limit.key });
    if (!row || row.windowStart <= now - windowMs) return { count: 0, resetsAt: now + windowMs };
    return { count: row.count, resetsAt: row.windowStart + windowMs };
  }

  function refuse(resetsAt: number): never {
    throw new CoreError("rate_limited", undefined, { retryAfterSeconds: Math.max(1, Math.ceil((resetsAt - clock.now()) / 1000)) });
  }

  /** One upsert, so concurrent requests on any instance cannot both slip under the limit. */
  function hitSync(limit: Limit): number {
    const now = clock.now();
    const [row] = upsertHit.all({ key: limit.key, now, expired: now - limit.windowSeconds * 1000 });
    return row!.count;
  }

  return {
    /** Throws `rate_limited` when the limit is already reached, without counting. */
    async check(limit: Limit): Promise<void> {
      const { count, resetsAt } = peek(limit);
      if (count >= limit.max) refuse(resetsAt);
    },

    /** Counts one event; returns the count in the window. */
    async hit(limit: Limit): Promise<number> {
      return hitSync(limit);
    },

    /** Counts one event and throws `rate_limited` once it goes over the limit. */
    async consume(limit: Limit): Promise<void> {
      if (hitSync(limit) > limit.max) refuse(peek(limit).resetsAt);
    },

    /**
     * consume() of each limit in turn, in one transaction: the first one over its limit stops there (the later ones
     * are not counted) and throws `rate_limited`.
     */
    async consumeAll(limits: Limit[]): Promise<void> {
      const over = db.transaction(() => limits.find((limit) => hitSync(limit) > limit.max));
      if (over) refuse(peek(over).resetsAt);
    },

    /** Gives one counted event back (an attempt that turned out not to be a wrong guess). */
    async refund(key: string): Promise<void> {
      refundRow.run({ key });
    },

    async reset(key: string): Promise<void> {
      deleteRow.run({ key });
    },

    /** refund() and reset() of several counters in one transaction. */
    async settle(changes: { refund?: string[]; reset?: string[] }): Promise<void> {
      db.transaction(() => {
        for (const key of changes.refund ?? []) refundRow.run({ key });
        for (const key of changes.reset ?? []) deleteRow.run({ key });
      });
    },
  };
}
