// The admin console's sessions (core/administration/console-sessions.ts): a row per sign-in, found by the SHA-256 of
// its cookie's token. Their own table: no query of another session kind reads it, and none of this one reads theirs.
import { eq, getTableColumns, lte, or, sql } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { ConsoleSessionRow } from "../schema.ts";

export type StoredConsoleSession = Omit<ConsoleSessionRow, "tokenHash">;

export type NewConsoleSession = ConsoleSessionRow;

export interface ConsoleSessionsRepository {
  insert(session: NewConsoleSession): Promise<void>;
  /** The session whose token has this digest, or null. */
  byTokenHash(tokenHash: string): Promise<StoredConsoleSession | null>;
  /** Records a request at `now`: the idle timeout counts from here. */
  touch(id: string, now: number): Promise<void>;
  /** Ends the session; false when there was none. */
  remove(id: string): Promise<boolean>;
  /** Sessions over at `now`: past their absolute end, or last seen before `idleSince`. */
  removeOver(now: number, idleSince: number): Promise<number>;
}

export function createConsoleSessionsRepository(db: Database): ConsoleSessionsRepository {
  const { consoleSessions } = db.tables;
  const { tokenHash: _digest, ...columns } = getTableColumns(consoleSessions);
  const byTokenHash = db.lookup(db.select(columns).from(consoleSessions).where(eq(consoleSessions.tokenHash, sql.placeholder("key"))));

  return {
    async insert(session) {
      await db.insert(consoleSessions).values(session);
    },

    byTokenHash,

    async touch(id, now) {
      await db.update(consoleSessions).set({ lastSeenAt: now }).where(eq(consoleSessions.id, id));
    },

    async remove(id) {
      return (await db.delete(consoleSessions).where(eq(consoleSessions.id, id)).returning({ id: consoleSessions.id })).length > 0;
    },

    async removeOver(now, idleSince) {
      const over = or(lte(consoleSessions.expiresAt, now), lte(consoleSessions.lastSeenAt, idleSince));
      return (await db.delete(consoleSessions).where(over).returning({ id: consoleSessions.id })).length;
    },
  };
}
