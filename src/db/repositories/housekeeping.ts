// The deletes of housekeeping (core/housekeeping.ts): core decides which rows are dead after how long, these remove
// them. Each answers how many rows it deleted.
import { and, isNull, lt } from "drizzle-orm";
import type { Database } from "../database.ts";
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
}

export function createHousekeepingRepository(db: Database): HousekeepingRepository {
  const { challenges, mailQueue, rateLimits, sessions } = db.tables;
  const consoleSessions = createConsoleSessionsRepository(db);
  const securityEvents = createSecurityEventsRepository(db);

  return {
    async deleteSessionsExpiredBefore(now) {
      return (await db.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ id: sessions.id })).length;
    },

    async deleteChallengesExpiredBefore(now) {
      // A Faroe verification request holds its code as it is: gone as soon as it is of no use.
      return (await db.delete(challenges).where(lt(challenges.expiresAt, now)).returning({ id: challenges.id })).length;
    },

    async deleteRateLimitsStartedBefore(startedBefore) {
      return (await db.delete(rateLimits).where(lt(rateLimits.windowStart, startedBefore)).returning({ key: rateLimits.key })).length;
    },

    async deleteDoneMailsQueuedBefore(queuedBefore) {
      // Done: no next attempt.
      const deleted = await db
        .delete(mailQueue)
        .where(and(isNull(mailQueue.nextAttemptAt), lt(mailQueue.createdAt, queuedBefore)))
        .returning({ id: mailQueue.id });
      return deleted.length;
    },

    deleteConsoleSessionsOver: (now, idleSince) => consoleSessions.removeOver(now, idleSince),
    deleteSecurityEventsBefore: (before) => securityEvents.deleteBefore(before),
  };
}
