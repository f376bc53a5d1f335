// The figures of the console's overview: accounts (all, and new in the last 7 days), sign-ins and failed sign-ins per
// day over the last 14 days, live sessions, storage used, and the mail queue. Sign-ins are the sessions started each
// day (HBP's and WolfPal's; housekeeping removes a session once it expires, JWT_REFRESH_EXPIRES_IN after its last use,
// 30 days by default); failures are the `sign_in_failed` security events (kept SECURITY_EVENTS_KEEP_DAYS).
import type { OverviewRepository } from "../../db/repositories/overview.ts";
import type { SecurityEventsRepository } from "../../db/repositories/security-events.ts";
import type { SessionsRepository } from "../../db/repositories/sessions.ts";
import type { Clock } from "../../lib/clock.ts";

const DAY_MS = 86_400_000;
export const OVERVIEW_DAYS = 14;

export interface DayCount {
  /** The day's first millisecond, UTC. */
  day: number;
  signIns: number;
  failures: number;
}

export interface Overview {
  accounts: { total: number; newThisWeek: number };
  /** Oldest first, one entry per day (today last), days without any included. */
  signInsPerDay: DayCount[];
  activeSessions: number;
  storage: { files: number; bytes: number };
  mail: { pending: number; failed: number };
}

export interface OverviewReader {
  read(): Promise<Overview>;
}

export function createOverview(deps: {
  figures: OverviewRepository;
  sessions: Pick<SessionsRepository, "countLive">;
  events: Pick<SecurityEventsRepository, "perDay">;
  clock: Clock;
}): OverviewReader {
  const { figures, sessions, events, clock } = deps;
  return {
    async read() {
      const now = clock.now();
      const today = Math.floor(now / DAY_MS) * DAY_MS;
      const first = today - (OVERVIEW_DAYS - 1) * DAY_MS;
      const [accounts, started, failed, activeSessions, storage, mail] = await Promise.all([
        figures.accounts(now - 7 * DAY_MS),
        figures.sessionsStartedPerDay(first),
        events.perDay("sign_in_failed", first),
        sessions.countLive(now),
        figures.storage(),
        figures.mailQueue(),
      ]);
      const count = (rows: { day: number; count: number }[], day: number) => rows.find((row) => row.day === day)?.count ?? 0;
      const signInsPerDay = Array.from({ length: OVERVIEW_DAYS }, (_, index) => {
        const day = first + index * DAY_MS;
        return { day, signIns: count(started, day), failures: count(failed, day) };
      });
      return { accounts: { total: accounts.total, newThisWeek: accounts.since }, signInsPerDay, activeSessions, storage, mail };
    },
  };
}
