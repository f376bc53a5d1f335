// `latchkey restore <archive>`: a backup (backup-archive.ts) into an empty data directory, all or nothing. The archive
// is extracted into a temporary folder beside the target (inside it when it exists), every entry checked (its name: no "..", no absolute path,
// nothing but the database, the manifest and stored files; its bytes: size and CRC-32), the database checked
// (PRAGMA integrity_check), and only then is the folder renamed into place. Any failure removes the temporary folder:
// the target is left as it was.
import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ARCHIVE_DATABASE, ARCHIVE_MANIFEST, ARCHIVE_OBJECTS, type BackupManifest } from "./backup-archive.ts";
import { openZip, ZipFormatError, type ZipEntry, type ZipReader } from "./lib/zip-reader.ts";

/** Why a restore was refused, and its exit code: 1 the target is not empty, 2 the archive is not a whole backup. */
export class RestoreRefusedError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = "RestoreRefusedError";
  }
}

const MANIFEST_MAX_BYTES = 64 * 1024;

/** An entry name that stays inside the data directory: relative, no empty, "." or ".." segment, no backslash or NUL. */
function isSafeName(name: string): boolean {
  if (name === "" || name.startsWith("/") || /[\\\0]/.test(name) || /^[A-Za-z]:/.test(name)) return false;
  return name.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

function checkNames(entries: ZipEntry[]): void {
  const seen = new Set<string>();
  for (const { name } of entries) {
    if (!isSafeName(name)) throw new RestoreRefusedError(`the archive has an entry "${name}" outside the data directory: refused`, 2);
    if (name !== ARCHIVE_DATABASE && name !== ARCHIVE_MANIFEST && !(name.startsWith(ARCHIVE_OBJECTS) && name.length > ARCHIVE_OBJECTS.length)) {
      throw new RestoreRefusedError(`the archive has an entry "${name}" that no latchkey backup holds: refused`, 2);
    }
    if (seen.has(name)) throw new RestoreRefusedError(`the archive has "${name}" twice: refused`, 2);
    seen.add(name);
  }
  for (const needed of [ARCHIVE_DATABASE, ARCHIVE_MANIFEST]) {
    if (!seen.has(needed)) throw new RestoreRefusedError(`the archive has no ${needed}: not a whole latchkey backup`, 2);
  }
}

async function readManifest(zip: ZipReader, entry: ZipEntry): Promise<BackupManifest> {
  if (entry.size > MANIFEST_MAX_BYTES) throw new RestoreRefusedError(`${ARCHIVE_MANIFEST} is too large`, 2);
  const parts: Uint8Array[] = [];
  for await (const chunk of zip.read(entry)) parts.push(chunk);
  let manifest: Partial<BackupManifest>;
  try {
    manifest = JSON.parse(Buffer.concat(parts).toString("utf8"));
  } catch {
    throw new RestoreRefusedError(`${ARCHIVE_MANIFEST} is not JSON`, 2);
  }
  if (manifest.format !== 1 || manifest.database !== "sqlite") {
    throw new RestoreRefusedError(`${ARCHIVE_MANIFEST}: format ${String(manifest.format)} is not one this latchkey restores`, 2);
  }
  return manifest as BackupManifest;
}

async function extract(zip: ZipReader, entry: ZipEntry, path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const handle = await open(path, "wx", 0o600);
  try {
    for await (const chunk of zip.read(entry)) {
      for (let at = 0; at < chunk.byteLength; ) {
        const { bytesWritten } = await handle.write(chunk, at, chunk.byteLength - at);
        at += bytesWritten;
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function checkDatabase(file: string): void {
  let db: Database;
  try {
    // Read-write (nothing is written): a WAL-mode file opened read-only would need its -shm to exist already.
    db = new Database(file, { readwrite: true, create: false });
  } catch {
    throw new RestoreRefusedError(`${ARCHIVE_DATABASE} is not a SQLite database`, 2);
  }
  try {
    const result = db.query("PRAGMA integrity_check").values().map((row) => String(row[0]));
    if (result.join() !== "ok") throw new RestoreRefusedError(`${ARCHIVE_DATABASE} is damaged: ${result.slice(0, 3).join("; ")}`, 2);
    const users = db.query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'users'").values()[0]![0];
    if (users !== 1) throw new RestoreRefusedError(`${ARCHIVE_DATABASE} is not a latchkey database`, 2);
  } catch (error) {
    if (error instanceof RestoreRefusedError) throw error;
    throw new RestoreRefusedError(`${ARCHIVE_DATABASE} cannot be read: ${(error as Error).message}`, 2);
  } finally {
    db.close();
  }
}

/** Refuses a target that exists and is not an empty folder (but for `staging`, when that is inside it). */
function checkTarget(dataDir: string, staging?: string): void {
  if (!existsSync(dataDir)) return;
  if (!statSync(dataDir).isDirectory()) throw new RestoreRefusedError(`${dataDir} exists and is not a folder: refused`, 1);
  if (readdirSync(dataDir).some((name) => join(dataDir, name) !== staging)) {
    throw new RestoreRefusedError(`${dataDir} is not empty: restore only into an empty or new data directory (set DATA_DIR)`, 1);
  }
}

export async function restoreBackup(archive: string, dataDir: string): Promise<{ manifest: BackupManifest; files: number }> {
  checkTarget(dataDir);
  if (!existsSync(archive) || !statSync(archive).isFile()) throw new RestoreRefusedError(`no archive at ${archive}`, 2);
  // A new target: staged beside it, then renamed into place. An existing empty one (often a mount point, a docker
  // volume, which cannot be replaced and lies on another file system than its parent): staged inside it, then its
  // few top-level entries are renamed up.
  const existing = existsSync(dataDir);
  const parent = dirname(dataDir);
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const staging = existing ? mkdtempSync(join(dataDir, ".restore-")) : mkdtempSync(join(parent, `.${basename(dataDir)}.restore-`));
  let zip: ZipReader | null = null;
  try {
    try {
      zip = await openZip(archive);
    } catch (error) {
      if (error instanceof ZipFormatError) throw new RestoreRefusedError(`${archive}: ${error.message}`, 2);
      throw error;
    }
    checkNames(zip.entries);
    const manifest = await readManifest(zip, zip.entries.find((entry) => entry.name === ARCHIVE_MANIFEST)!);
    let files = 0;
    for (const entry of zip.entries) {
      if (entry.name === ARCHIVE_MANIFEST) continue;
      await extract(zip, entry, join(staging, ...entry.name.split("/")));
      if (entry.name !== ARCHIVE_DATABASE) files += 1;
    }
    checkDatabase(join(staging, ARCHIVE_DATABASE));
    mkdirSync(join(staging, "storage", "objects"), { recursive: true, mode: 0o700 });
    checkTarget(dataDir, staging); // again: nothing may have appeared there meanwhile
    if (existing) {
      for (const name of readdirSync(staging)) renameSync(join(staging, name), join(dataDir, name));
      rmdirSync(staging);
    } else {
      renameSync(staging, dataDir);
    }
    return { manifest, files };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (error instanceof ZipFormatError) throw new RestoreRefusedError(`${archive}: ${error.message}`, 2);
    throw error;
  } finally {
    await zip?.close();
  }
}
