// The figures of the console's overview (core/administration/overview.ts): each one query over an index, asked when
// an administrator opens the page, never per request.
import { and, count, gte, isNotNull, isNull, sql } from "drizzle-orm";
import type { Database } from "../database.ts";

export interface OverviewRepository {
  /** Every account, and those created at or after `since`. */
  accounts(since: number): Promise<{ total: number; since: number }>;
  /** Sessions started (sign-ins of HBP and WolfPal) in each day since `since`: the day's first millisecond (UTC), the count. */
  sessionsStartedPerDay(since: number): Promise<{ day: number; count: number }[]>;
  /** Files stored and their total size. */
  storage(): Promise<{ files: number; bytes: number }>;
  /** Mails waiting to be sent (or retried), and mails given up after their last attempt failed. */
  mailQueue(): Promise<{ pending: number; failed: number }>;
}

const DAY_MS = 86_400_000;

export function createOverviewRepository(db: Database): OverviewRepository {
  const { users, sessions, files, mailQueue } = db.tables;
  return {
    async accounts(since) {
      const [total] = await db.select({ n: count() }).from(users);
      const [recent] = await db.select({ n: count() }).from(users).where(gte(users.createdAt, since));
      return { total: Number(total?.n ?? 0), since: Number(recent?.n ?? 0) };
    },

    async sessionsStartedPerDay(since) {
      const dayMs = sql.raw(String(DAY_MS));
      const day = sql<number>`(${sessions.createdAt} / ${dayMs}) * ${dayMs}`;
      const rows = await db.select({ day, count: count() }).from(sessions).where(gte(sessions.createdAt, since)).groupBy(day);
      return rows.map((row) => ({ day: Number(row.day), count: Number(row.count) }));
    },

    async storage() {
      const [row] = await db.select({ files: count(), bytes: sql<number>`coalesce(sum(${files.size}), 0)` }).from(files);
      return { files: Number(row?.files ?? 0), bytes: Number(row?.bytes ?? 0) };
    },

    async mailQueue() {
      const [pending] = await db.select({ n: count() }).from(mailQueue).where(isNotNull(mailQueue.nextAttemptAt));
      // Given up: no next attempt, never sent.
      const [failed] = await db
        .select({ n: count() })
        .from(mailQueue)
        .where(and(isNull(mailQueue.nextAttemptAt), isNull(mailQueue.sentAt)));
      return { pending: Number(pending?.n ?? 0), failed: Number(failed?.n ?? 0) };
    },
  };
}
