// When the server's own backups run: BACKUP_SCHEDULE is an interval (`30m`, `6h`, `1d`: every so long, timed from
// the end of the last backup) or a cron expression (`0 3 * * *`: at those times of the server's time zone, TZ).
// Cron expressions are read by croner (5 fields, or 6 with seconds first; `@daily` and the like), the same way
// at start-up and when the next run is worked out, so an expression that starts the server also runs.
import { Cron } from "croner";
import type { Reader } from "./config-reader.ts";

const NAME = "BACKUP_SCHEDULE";
/** An interval as config-reader.ts reads one: a number and a unit. */
const INTERVAL = /^\d+\s*[smhd]$/i;

export interface BackupTiming {
  /** Seconds between backups; null: not an interval. */
  intervalSeconds: number | null;
  /** The cron expression; null: not one. */
  cron: string | null;
}

/** BACKUP_SCHEDULE, as an interval or a cron expression; both null when unset. A bad value is a problem naming it. */
export function readBackupTiming(read: Reader): BackupTiming {
  const found = read.raw([NAME]);
  if (found === null) return { intervalSeconds: null, cron: null };
  if (INTERVAL.test(found.value)) {
    return { intervalSeconds: read.interval(NAME, { minSeconds: 1, maxSeconds: 366 * 86400 }), cron: null };
  }
  let next: Date | null;
  try {
    next = cronOf(found.value).nextRun();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    read.require(
      false,
      `${NAME}: expected an interval such as 30m, 6h or 1d, or a cron expression such as "0 3 * * *" (5 fields, or 6 with seconds first), got "${found.value}" (${reason})`,
    );
    return { intervalSeconds: null, cron: null };
  }
  read.require(next !== null, `${NAME}: the cron expression "${found.value}" never comes round (no such date)`);
  return { intervalSeconds: null, cron: found.value };
}

/** When a backup on `cron` next falls due after `afterMs` (ms since the epoch); null if never. */
export function nextCronRunMs(cron: string, afterMs: number): number | null {
  return cronOf(cron).nextRun(new Date(afterMs))?.getTime() ?? null;
}

/** A paused croner job: only asked for its dates, never run by croner (backup-schedule.ts keeps the timer). */
function cronOf(expression: string): Cron {
  return new Cron(expression, { paused: true, mode: "5-or-6-parts" });
}
