// `latchkey backup [dest]` and `latchkey restore <archive>` (backup.ts, backup-restore.ts; README "Backups").
import { BackupRefusedError } from "../backup-archive.ts";
import { backupPlan, runBackup } from "../backup.ts";
import { RestoreRefusedError, restoreBackup } from "../backup-restore.ts";
import type { Config, Env } from "../config.ts";
import { systemClock } from "../lib/clock.ts";

export const BACKUP_HELP = `latchkey backup [dest]             a consistent snapshot of the SQLite database and the stored files, while the
                                   server runs, as one zip (mode 0600) to dest: a folder (the file is named
                                   latchkey-backup-<UTC time>.zip) or s3://<bucket>[/<prefix>]?endpoint=..;
                                   BACKUP_URL without dest. With DATABASE_URL it refuses: use pg_dump`;
export const RESTORE_HELP = `latchkey restore <archive>         put a backup into DATA_DIR, which must be empty or new: all or nothing
                                   (exit 1: not empty; exit 2: not a whole, undamaged backup)`;

/**
 * The settings `latchkey backup [dest]` lays over the environment's before the config is read, once: dest is
 * BACKUP_URL (so it has BACKUP_URL's checks and the same S3 credentials), and BACKUP_SCHEDULE is left out (the
 * schedule is the server's, not this command's).
 */
export function backupSettings(args: string[]): Env {
  return args.length === 1 ? { BACKUP_URL: args[0], BACKUP_SCHEDULE: "" } : {};
}

/** `config`: read with backupSettings(args) over the environment. */
export async function backupCommand(config: Config, args: string[]): Promise<number> {
  if (args.length > 1) {
    console.error(`latchkey: usage:\n${BACKUP_HELP}`);
    return 2;
  }
  const target = config.backup.target;
  try {
    const destination = backupPlan(config, target);
    const result = await runBackup(config, destination, systemClock);
    const files = result.manifest.files === null ? "files: in the bucket of STORAGE_URL, not in the archive" : `${result.manifest.files} files`;
    console.log(`wrote ${result.name} to ${result.destination}: ${result.bytes} bytes, ${files}, in ${result.durationMs} ms`);
    return 0;
  } catch (error) {
    if (!(error instanceof BackupRefusedError)) throw error;
    console.error(`latchkey: ${error.message}`);
    return 1;
  }
}

export async function restoreCommand(config: Config, args: string[]): Promise<number> {
  if (args.length !== 1) {
    console.error(`latchkey: usage:\n${RESTORE_HELP}`);
    return 2;
  }
  if (config.database.url !== null) {
    console.error("latchkey: DATABASE_URL is set: a backup holds a SQLite database; restore PostgreSQL with pg_restore");
    return 1;
  }
  try {
    const { manifest, files } = await restoreBackup(args[0]!, config.server.dataDir);
    const where = manifest.files === null ? "; its files are in the bucket of STORAGE_URL" : `, ${files} files`;
    console.log(`restored the backup of ${manifest.createdAt} (latchkey ${manifest.latchkey}) into ${config.server.dataDir}${where}`);
    return 0;
  } catch (error) {
    if (!(error instanceof RestoreRefusedError)) throw error;
    console.error(`latchkey: ${error.message}`);
    return error.exitCode;
  }
}
