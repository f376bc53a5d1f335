// Deletes rows nothing can use any more: expired sessions (of the APIs and of the console), tickets and requests,
// rate-limit windows long past, mails sent or given up a week ago (kept that long so an operator can see what became
// of a mail), and security events older than SECURITY_EVENTS_KEEP_DAYS (their log lines stay where the log goes).
// Never the console's audit log: it is append-only.
// Revoked sessions stay until they expire: an old token of one then still finds it, and is refused as revoked.
import type { HousekeepingRepository } from "../db/repositories/housekeeping.ts";
import type { Clock } from "../lib/clock.ts";

/** Rate-limit windows are at most a day (RATE_LIMIT_WINDOW_SECONDS <= 86400). */
const LONGEST_WINDOW_MS = 86_400_000;
const DONE_MAILS_KEPT_MS = 7 * 86_400_000;

/** How long the rows kept by a setting stay: SECURITY_EVENTS_KEEP_DAYS, CONSOLE_SESSION_IDLE_MINUTES. */
export interface Retention {
  securityEventsDays: number;
  consoleIdleMinutes: number;
}

const DEFAULT_RETENTION: Retention = { securityEventsDays: 30, consoleIdleMinutes: 30 };

/** Deletes every row past its retention; answers how many. */
export async function purgeExpired(deps: { rows: HousekeepingRepository; clock: Clock; retention?: Retention }): Promise<number> {
  const { rows, clock } = deps;
  const retention = deps.retention ?? DEFAULT_RETENTION;
  const now = clock.now();
  const purged = await Promise.all([
    rows.deleteSessionsExpiredBefore(now),
    rows.deleteChallengesExpiredBefore(now),
    rows.deleteRateLimitsStartedBefore(now - LONGEST_WINDOW_MS),
    rows.deleteDoneMailsQueuedBefore(now - DONE_MAILS_KEPT_MS),
    rows.deleteConsoleSessionsOver(now, now - retention.consoleIdleMinutes * 60_000),
    rows.deleteSecurityEventsBefore(now - retention.securityEventsDays * 86_400_000),
  ]);
  return purged.reduce((total, count) => total + count, 0);
}
