// The deletes of housekeeping (core/housekeeping.ts): core decides which rows are dead after how long, these remove
// them. Each answers how many rows it deleted.
import { and, isNull, lt } from "drizzle-orm";
import type { Database } from "../database.ts";

export interface HousekeepingRepository {
  /** Sessions whose expiry is before `now`; revoked ones included only once they expire too. */
  deleteSessionsExpiredBefore(now: number): Promise<number>;
  /** Every code, ticket and request mailed to a user (one-time codes, verification and reset requests) expired before `now`. */
  deleteExpiredCodes(now: number): Promise<number>;
  /** Rate-limit counters whose window started before `startedBefore`. */
  deleteRateLimitsStartedBefore(startedBefore: number): Promise<number>;
  /** Mails that are done (sent, or given up) and were queued before `queuedBefore`. */
  deleteDoneMailsQueuedBefore(queuedBefore: number): Promise<number>;
}

export function createHousekeepingRepository(db: Database): HousekeepingRepository {
  const { emailVerificationRequests, mailQueue, oneTimeCodes, passwordResetRequests, rateLimits, sessions } = db.tables;

  return {
    async deleteSessionsExpiredBefore(now) {
      return (await db.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ id: sessions.id })).length;
    },

    async deleteExpiredCodes(now) {
      const deleted = await Promise.all([
        db.delete(oneTimeCodes).where(lt(oneTimeCodes.expiresAt, now)).returning({ id: oneTimeCodes.id }),
        // Verification requests hold their code as it is: gone as soon as it is of no use.
        db.delete(emailVerificationRequests).where(lt(emailVerificationRequests.expiresAt, now)).returning({ id: emailVerificationRequests.id }),
        db.delete(passwordResetRequests).where(lt(passwordResetRequests.expiresAt, now)).returning({ id: passwordResetRequests.id }),
      ]);
      return deleted.reduce((total, rows) => total + rows.length, 0);
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
  };
}
