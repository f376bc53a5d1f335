// The deletes of housekeeping (core/housekeeping.ts): core decides which rows are dead after how long, these remove
// them. Each answers how many rows it deleted.
//
// On SQLite a statement runs on the event loop, so one DELETE over a table of millions (none of these conditions has
// an index: an index on expiry would cost every write to these tables, the refreshes' and the guess counters' above
// all) would hold every request for as long as it takes: at 10 million rows, minutes (each deleted row costs ~50-100 us
// when the table's random-key indexes are larger than the cache: bench/README.md, "Scale"). So SQLite deletes in
// slices of the table's rowid range, sized to take about SLICE_TARGET_MS each, and waits between two (../purge-pace.ts):
// twice a slice's time while no request is served (a third of the event loop), one slice per BUSY_PAUSE_MS while
// requests are, so a request meets a slice rarely and waits at most about one. The tables are purged one after the
// other: core asks for all of them at once, and three slicers side by side would take three such shares.
// PostgreSQL runs the one DELETE on its own server, beside the requests (MVCC: nothing waits for it), so it stays
// one statement there.
import { and, gte, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "../database.ts";
import { createPurgePace } from "../purge-pace.ts";
import { createConsoleSessionsRepository } from "./console-sessions.ts";
import { createSecurityEventsRepository } from "./security-events.ts";

export interface HousekeepingRepository {
  /** Sessions whose expiry is before `now`; revoked ones included only once they expire too. */
  deleteSessionsExpiredBefore(now: number): Promise<number>;
  /** Challenges (every ticket, code and request handed to a user) expired before `now`. */
  deleteChallengesExpiredBefore(now: number): Promise<number>;
  /** Rate-limit counters whose window started before `startedBefore`. */
  deleteRateLimitsStartedBefore(startedBefore: number): Promise<number>;
  /** Mails that are done (sent, or given up) and were queued before `queuedBefore`. */
  deleteDoneMailsQueuedBefore(queuedBefore: number): Promise<number>;
  /** Console sessions past their absolute end at `now`, or last used before `idleSince`. */
  deleteConsoleSessionsOver(now: number, idleSince: number): Promise<number>;
  /** Security events that happened before `before`. */
  deleteSecurityEventsBefore(before: number): Promise<number>;
  /** The SQLite purges' slices so far, and how many yielded to requests (zeros on PostgreSQL): for the log line. */
  slicing(): { slices: number; yielded: number };
}

/** How long one SQLite slice should take: what a request can wait for a purge, on top of its own time. */
export const SLICE_TARGET_MS = 2;
const FIRST_SLICE_ROWS = 256;
const MIN_SLICE_ROWS = 16;
const MAX_SLICE_ROWS = 16_384;
/** How much slicing (its statements' time) the purge does before it waits for the checkpoint thread's pass. */
const CHECKPOINT_AFTER_MS = 30;

export interface HousekeepingOptions {
  sliceTargetMs?: number;
  /** A count of the requests the server has received: while it grows, the purge yields (../purge-pace.ts). */
  requestsStarted?: () => number;
}

export function createHousekeepingRepository(db: Database, options: HousekeepingOptions = {}): HousekeepingRepository {
  const { challenges, mailQueue, rateLimits, sessions } = db.tables;
  const consoleSessions = createConsoleSessionsRepository(db);
  const securityEvents = createSecurityEventsRepository(db);
  const targetMs = options.sliceTargetMs ?? SLICE_TARGET_MS;
  const pace = createPurgePace(options.requestsStarted);

  /** The SQLite purge under way, if any: the next one starts when it ends (above). */
  let previous: Promise<unknown> = Promise.resolve();

  /** Deletes the rows of `table` matching `where`: one statement, or on SQLite slice by slice (above). */
  async function purge(table: SQLiteTable, key: SQLiteColumn, where: SQL): Promise<number> {
    if (db.engine !== "sqlite") return (await db.delete(table).where(where).returning({ key })).length;
    const turn = previous.then(() => sliced(table, key, where));
    previous = turn.catch(() => undefined);
    return turn;
  }

  async function sliced(table: SQLiteTable, key: SQLiteColumn, where: SQL): Promise<number> {
    const rowid = sql<number>`rowid`;
    // Two statements: SQLite finds a lone min() or max() of the rowid in the B-tree's first or last leaf, but both in
    // one SELECT scan the whole table, on the event loop (0.5 s for 5 million challenges, bench/README.md "Scale").
    const [first] = await db.select({ rowid: sql<number | null>`min(rowid)` }).from(table);
    const [last] = await db.select({ rowid: sql<number | null>`max(rowid)` }).from(table);
    const bounds = { low: first?.rowid, high: last?.rowid };
    if (bounds.low == null || bounds.high == null) return 0;
    let deleted = 0;
    let rows = FIRST_SLICE_ROWS;
    let sinceCheckpointMs = 0;
    for (let from = Number(bounds.low); from <= Number(bounds.high); ) {
      const slice = and(gte(rowid, from), lt(rowid, from + rows), where);
      const started = performance.now();
      deleted += (await db.delete(table).where(slice).returning({ key })).length;
      const took = performance.now() - started;
      from += rows;
      // The next slice sized by this one's time: rows cost more where more of them are expired, and on a colder cache.
      if (took < targetMs / 2) rows = Math.min(MAX_SLICE_ROWS, rows * 2);
      else if (took > targetMs) rows = Math.max(MIN_SLICE_ROWS, Math.floor(rows / 2));
      // The requests go first; and every CHECKPOINT_AFTER_MS of slices, their WAL frames are copied by the checkpoint
      // thread before the next one, not by the server's own catch-up on the event loop. Not after every slice: a
      // pass that copies every frame lets the next write rewind the WAL, and SQLite fsyncs the WAL's new header then,
      // on the event loop (bench/README.md, "Scale").
      const pause = pace.pause(took);
      sinceCheckpointMs += took;
      if (sinceCheckpointMs >= CHECKPOINT_AFTER_MS) {
        sinceCheckpointMs = 0;
        await Promise.all([pause, db.writesCheckpointed()]);
      } else await pause;
    }
    return deleted;
  }

  return {
    deleteSessionsExpiredBefore(now) {
      return purge(sessions, sessions.id, lt(sessions.expiresAt, now));
    },

    deleteChallengesExpiredBefore(now) {
      // A Faroe verification request holds its code as it is: gone as soon as it is of no use.
      return purge(challenges, challenges.id, lt(challenges.expiresAt, now));
    },

    deleteRateLimitsStartedBefore(startedBefore) {
      return purge(rateLimits, rateLimits.key, lt(rateLimits.windowStart, startedBefore));
    },

    deleteDoneMailsQueuedBefore(queuedBefore) {
      // Done: no next attempt.
      return purge(mailQueue, mailQueue.id, and(isNull(mailQueue.nextAttemptAt), lt(mailQueue.createdAt, queuedBefore))!);
    },

    deleteConsoleSessionsOver: (now, idleSince) => consoleSessions.removeOver(now, idleSince),
    deleteSecurityEventsBefore: (before) => securityEvents.deleteBefore(before),
    slicing: () => pace.counts(),
  };
}
