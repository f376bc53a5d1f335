// One backup: a snapshot of the SQLite database and the stored files, as one archive, to a folder or a bucket
// (backup-archive.ts says what is in it, backup-destination.ts where it goes). Used by `latchkey backup` and by the
// server's schedule (backup-schedule.ts). PostgreSQL is refused: its own tool, pg_dump, makes a consistent dump of a
// database that several instances share, which latchkey could only do worse.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { backupArchive, BackupRefusedError, type BackupManifest } from "./backup-archive.ts";
import { backupDestination, backupName, type BackupDestination } from "./backup-destination.ts";
import type { BackupTarget, Config } from "./config.ts";
import { snapshotSqlite } from "./db/sqlite-snapshot.ts";
import type { Clock } from "./lib/clock.ts";
import { createLocalBlobStore } from "./storage/blob-store.ts";
import { VERSION } from "./version.ts";

export const POSTGRES_REFUSAL =
  "DATABASE_URL is set: latchkey backs up its SQLite database only. Back PostgreSQL up with pg_dump " +
  "(pg_dump --format=custom --file=latchkey.dump \"$DATABASE_URL\"), and the files with the bucket's or folder's own tools (README \"Backups\")";

export interface BackupResult {
  name: string;
  destination: string;
  bytes: number;
  manifest: BackupManifest;
  durationMs: number;
}

/** Refuses (BackupRefusedError) what cannot be backed up here; the destination otherwise. */
export function backupPlan(config: Config, target: BackupTarget | null): BackupDestination {
  if (config.database.url !== null) throw new BackupRefusedError(POSTGRES_REFUSAL);
  if (target === null) throw new BackupRefusedError("where to? give a folder or an s3:// URL, or set BACKUP_URL");
  return backupDestination(target);
}

export async function runBackup(config: Config, destination: BackupDestination, clock: Clock): Promise<BackupResult> {
  const started = clock.now();
  const dataDir = config.server.dataDir;
  const databaseFile = join(dataDir, "latchkey.db");
  if (!existsSync(databaseFile)) throw new BackupRefusedError(`no latchkey database in ${dataDir} (check DATA_DIR)`);
  // The snapshot is written beside the database (same disk, same 0700 folder), not to a tmpfs that counts as memory.
  const work = mkdtempSync(join(dataDir, ".backup-"));
  try {
    const snapshotFile = join(work, "latchkey.db");
    await snapshotSqlite(databaseFile, snapshotFile);
    // Files on disk are read through the blob store (it reads the version it listed, or fails); files in a bucket
    // are the bucket's to back up (README "Backups").
    const objects = config.storage.s3 === null ? createLocalBlobStore(join(dataDir, "storage"), { clearStaging: false }) : null;
    const archive = backupArchive({ snapshotFile, objects, version: VERSION, createdAtMs: started });
    const name = backupName(started);
    const bytes = await destination.write(name, archive.stream);
    return { name, destination: destination.description, bytes, manifest: archive.manifest(), durationMs: clock.now() - started };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
