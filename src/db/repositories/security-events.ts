// Security events as rows (core/security-events.ts writes each one here and to the log): read newest first by the
// console, counted per day for its overview, and deleted once older than SECURITY_EVENTS_KEEP_DAYS.
import { and, count, eq, gte, lt, sql } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { SecurityEventRow } from "../schema.ts";
import { pageNewestFirst, type NewestFirstCursor, type NewestFirstPage } from "./newest-first.ts";

export type StoredSecurityEvent = SecurityEventRow;

export interface SecurityEventFilter {
  account?: string;
  ip?: string;
  event?: string;
}

export interface SecurityEventsRepository {
  insert(event: StoredSecurityEvent): Promise<void>;
  page(filter: SecurityEventFilter, cursor: NewestFirstCursor | null, limit: number): Promise<NewestFirstPage<StoredSecurityEvent>>;
  /** How many events of `event` happened in each day since `since`: the day as its first millisecond (UTC) and the count. */
  perDay(event: string, since: number): Promise<{ day: number; count: number }[]>;
  deleteBefore(at: number): Promise<number>;
}

const DAY_MS = 86_400_000;

export function createSecurityEventsRepository(db: Database): SecurityEventsRepository {
  const { securityEvents } = db.tables;
  return {
    async insert(event) {
      await db.insert(securityEvents).values(event);
    },

    async page(filter, cursor, limit) {
      const columns = { account: securityEvents.account, ip: securityEvents.ip, event: securityEvents.event };
      return await pageNewestFirst(db, securityEvents, columns, filter, cursor, limit);
    },

    async perDay(event, since) {
      // Integer division on both engines (`at` is a bigint on PostgreSQL, an integer on SQLite). The constant is written
      // into the SQL, not bound: PostgreSQL matches GROUP BY to the selected expression by its text, placeholders included.
      const dayMs = sql.raw(String(DAY_MS));
      const day = sql<number>`(${securityEvents.at} / ${dayMs}) * ${dayMs}`;
      const rows = await db
        .select({ day, count: count() })
        .from(securityEvents)
        .where(and(eq(securityEvents.event, event), gte(securityEvents.at, since)))
        .groupBy(day);
      return rows.map((row) => ({ day: Number(row.day), count: Number(row.count) }));
    },

    async deleteBefore(at) {
      return (await db.delete(securityEvents).where(lt(securityEvents.at, at)).returning({ id: securityEvents.id })).length;
    },
  };
}
