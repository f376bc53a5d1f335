// The admin console's Backups page, served by the composition (backups are the server's, not core's): the backups at
// BACKUP_URL with their sizes, a backup made now by the same runBackup() that the schedule and `latchkey backup` use,
// and one backup's bytes streamed for a download. Restoring stays the `latchkey restore` command: it needs the server
// stopped and an empty DATA_DIR.
import type { ConsoleBackups } from "./apis/console/context.ts";
import { BackupRefusedError } from "./backup-archive.ts";
import { backupTimeMs, type BackupDestination } from "./backup-destination.ts";
import type { BackupStatus } from "./backup-status.ts";
import { backupPlan, runBackup } from "./backup.ts";
import type { Config } from "./config.ts";
import type { Clock } from "./lib/clock.ts";

export function createBackupAdministration(deps: { config: Config; status: BackupStatus; clock: Clock }): ConsoleBackups {
  const { config, status, clock } = deps;
  let destination: BackupDestination | null = null;
  let unavailable: string | null = null;
  try {
    destination = backupPlan(config, config.backup.target);
  } catch (error) {
    if (!(error instanceof BackupRefusedError)) throw error;
    unavailable = config.database.url !== null ? error.message : "BACKUP_URL is not set: the console makes backups to BACKUP_URL (a folder or an s3:// URL)";
  }
  const entry = (name: string, bytes: number) => ({ name, bytes, createdAt: backupTimeMs(name) ?? 0 });

  return {
    destination: destination?.description ?? null,
    unavailable,
    async list() {
      if (!destination) return [];
      return (await destination.entries()).map(({ name, bytes }) => entry(name, bytes)).reverse();
    },
    async create() {
      if (!destination) throw new BackupRefusedError(unavailable ?? "no destination");
      try {
        const result = await runBackup(config, destination, clock);
        status.recordSuccess(clock.now());
        return { ...entry(result.name, result.bytes), durationMs: result.durationMs };
      } catch (error) {
        status.recordFailure(clock.now());
        throw error;
      }
    },
    async open(name) {
      return destination ? destination.open(name) : null;
    },
  };
}
