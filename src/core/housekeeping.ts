// Deletes rows nothing can use any more: expired sessions, tickets and requests, rate-limit windows long past, and
// mails sent or given up a week ago (kept that long so an operator can see what became of a mail).
// Revoked sessions stay until they expire: an old token of one then still finds it, and is refused as revoked.
import { and, isNull, lt } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { createChallengesRepository } from "../db/repositories/challenges.ts";
import type { Clock } from "../lib/clock.ts";

/** Rate-limit windows are at most a day (RATE_LIMIT_WINDOW_SECONDS <= 86400). */
const LONGEST_WINDOW_MS = 86_400_000;
const DONE_MAILS_KEPT_MS = 7 * 86_400_000;

export async function purgeExpired(deps: { db: Database; clock: Clock }): Promise<number> {
  const { db, clock } = deps;
  const { mailQueue, rateLimits, sessions } = db.tables;
  const now = clock.now();
  const [challenges, ...purged] = await Promise.all([
    // Every ticket and request; a Faroe verification request holds its code as it is: gone as soon as it is of no use.
    createChallengesRepository(db).purgeExpired(now),
    db.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ id: sessions.id }),
    db.delete(rateLimits).where(lt(rateLimits.windowStart, now - LONGEST_WINDOW_MS)).returning({ key: rateLimits.key }),
    // Done: no next attempt (sent, or given up).
    db
      .delete(mailQueue)
      .where(and(isNull(mailQueue.nextAttemptAt), lt(mailQueue.createdAt, now - DONE_MAILS_KEPT_MS)))
      .returning({ id: mailQueue.id }),
  ]);
  return purged.reduce((total, rows) => total + rows.length, challenges);
}
