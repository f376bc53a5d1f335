// Deletes rows nothing can use any more: expired sessions, tickets and requests, rate-limit windows long past, and
// mails sent or given up a week ago (kept that long so an operator can see what became of a mail).
// Revoked sessions stay until they expire: an old token of one then still finds it, and is refused as revoked.
import type { HousekeepingRepository } from "../db/repositories/housekeeping.ts";
import type { Clock } from "../lib/clock.ts";

/** Rate-limit windows are at most a day (RATE_LIMIT_WINDOW_SECONDS <= 86400). */
const LONGEST_WINDOW_MS = 86_400_000;
const DONE_MAILS_KEPT_MS = 7 * 86_400_000;

/** Deletes every row past its retention; answers how many. */
export async function purgeExpired(deps: { rows: HousekeepingRepository; clock: Clock }): Promise<number> {
  const { rows, clock } = deps;
  const now = clock.now();
  const purged = await Promise.all([
    rows.deleteSessionsExpiredBefore(now),
    rows.deleteChallengesExpiredBefore(now),
    rows.deleteRateLimitsStartedBefore(now - LONGEST_WINDOW_MS),
    rows.deleteDoneMailsQueuedBefore(now - DONE_MAILS_KEPT_MS),
  ]);
  return purged.reduce((total, count) => total + count, 0);
}
