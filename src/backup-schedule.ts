// The server's own backups: every BACKUP_SCHEDULE (an interval, or a cron expression: config-backup-schedule.ts) one backup to
// BACKUP_URL (backup.ts), then the oldest beyond BACKUP_KEEP are deleted there. With an interval the first comes one
// interval after the newest backup found there (at once without one); with cron, at the expression's next time. Runs
// never overlap (the next is timed from the end of the last: a cron time that falls during a backup is skipped), each
// is logged (start, size, duration, or the failure without secrets), and the last success is kept in BackupStatus for
// /metrics.
import { runBackup, backupPlan } from "./backup.ts";
import { backupTimeMs } from "./backup-destination.ts";
import { nextCronRunMs } from "./config-backup-schedule.ts";
import type { BackupStatus } from "./backup-status.ts";
import type { Config } from "./config.ts";
import type { Clock } from "./lib/clock.ts";
import { redactText, type Logger } from "./lib/logger.ts";

/** setTimeout's longest delay (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface BackupSchedule {
  /** Stops the timer and waits for a backup under way. */
  stop(): Promise<void>;
}

/** An error's message for the log: no query string (a presigned URL's signature) and nothing the logger redacts. */
function describeFailure(error: unknown): string {
  const message = error instanceof Error ? `${"code" in error && error.code ? `${String(error.code)}: ` : ""}${error.message}` : String(error);
  return redactText(message.replace(/\?\S*/g, "?..."));
}

/** Starts the schedule when BACKUP_SCHEDULE is set (config.ts has checked BACKUP_URL and SQLite); null otherwise. */
export function startBackupSchedule(deps: { config: Config; status: BackupStatus; logger: Logger; clock: Clock }): BackupSchedule | null {
  const { config, status, logger, clock } = deps;
  const { intervalSeconds, cron } = config.backup;
  if (intervalSeconds === null && cron === null) return null;
  const destination = backupPlan(config, config.backup.target);
  let stopped = false;
  let timer: Timer | null = null;
  let running: Promise<void> = Promise.resolve();

  async function once(): Promise<void> {
    logger.info("backup started", { to: destination.description });
    try {
      const result = await runBackup(config, destination, clock);
      status.recordSuccess(clock.now());
      logger.info("backup finished", {
        file: result.name,
        to: result.destination,
        bytes: result.bytes,
        files: result.manifest.files ?? "in the bucket",
        duration_ms: result.durationMs,
      });
    } catch (error) {
      status.recordFailure(clock.now());
      logger.error("backup failed", { to: destination.description, error: describeFailure(error) });
      return;
    }
    try {
      const names = await destination.list();
      for (const name of names.slice(0, Math.max(0, names.length - config.backup.keep))) {
        await destination.remove(name);
        logger.info("old backup deleted", { file: name, keep: config.backup.keep });
      }
    } catch (error) {
      logger.error("deleting old backups failed", { to: destination.description, error: describeFailure(error) });
    }
  }

  const intervalMs = (intervalSeconds ?? 0) * 1000;
  /** How long from now to the next run: an interval, or to the cron expression's next time (null: never again). */
  // Each cron time is run once: the next is looked for after the last one planned too, should a timer fire early.
  let plannedMs = 0;
  const untilNext = (): number | null => {
    if (cron === null) return intervalMs;
    const dueMs = nextCronRunMs(cron, Math.max(clock.now(), plannedMs));
    if (dueMs === null) return null;
    plannedMs = dueMs;
    return Math.max(0, dueMs - clock.now());
  };
  const next = (delayMs: number | null) => {
    if (stopped || delayMs === null) return;
    // A timer longer than setTimeout's limit (about 24.8 days; a longer one fires at once) is waited for in parts.
    const partMs = Math.min(delayMs, MAX_TIMER_MS);
    timer = setTimeout(() => {
      if (delayMs > partMs) next(delayMs - partMs);
      else running = once().finally(() => next(untilNext()));
    }, partMs);
  };
  // With an interval, the first run comes one interval after the newest backup already at the destination, at once when there is none
  // or it is older: a server restarted more often than the interval still backs up. That backup's time is also the
  // last success /metrics shows until this process makes one.
  running = (async () => {
    let newestMs: number | null;
    try {
      newestMs = backupTimeMs((await destination.list()).at(-1) ?? "");
      if (newestMs !== null) status.recordSuccess(newestMs);
    } catch (error) {
      logger.warn("cannot list the backups there: the first one comes after a whole interval", { to: destination.description, error: describeFailure(error) });
      newestMs = clock.now();
    }
    const firstInMs =
      cron !== null ? untilNext() : newestMs === null ? 0 : Math.min(intervalMs, Math.max(0, newestMs + intervalMs - clock.now()));
    logger.info("backups scheduled", {
      ...(cron !== null ? { cron } : { every_seconds: intervalSeconds }),
      first_in_seconds: firstInMs === null ? null : Math.round(firstInMs / 1000),
      to: destination.description,
      keep: config.backup.keep,
    });
    next(firstInMs);
  })();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
