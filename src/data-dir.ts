// Who may read the data directory. It holds the SQLite database (password hashes, TOTP secrets and, unless JWT_KEY
// and COOKIE_SECRET are set, the generated signing keys: whoever reads it can sign tokens for any account), uploaded
// files, and mails whose links sign in. On a shared host a 0644 file is readable by every local user and service, so
// the directory is 0700 and everything latchkey creates 0600.
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import type { Logger } from "./lib/logger.ts";

/**
 * Every file and folder this process creates from now on is its owner's only (0600 / 0700): the database and its
 * -wal and -shm, stored files, image variants, uploads in progress, the outbox, exports, in every command and every
 * worker thread. One process-wide setting rather than a mode at each of those places, so a new one cannot forget it.
 */
export function keepNewFilesPrivate(): void {
  process.umask(0o077);
}

/** Group and other permission bits. */
const SHARED_BITS = 0o077;

/**
 * Creates the data directory (0700), or warns when an existing one, or its database, can be read by other users
 * (made by an older latchkey, by hand, or by a copy): naming each path and the command that fixes them.
 */
export function openDataDir(dataDir: string, databaseFile: string, logger: Logger): void {
  const shared = [dataDir, databaseFile].flatMap((path) => {
    const mode = modeOf(path);
    return mode !== null && (mode & SHARED_BITS) !== 0 ? [`${path} (${mode.toString(8).padStart(4, "0")})`] : [];
  });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (shared.length > 0) {
    logger.warn(
      `other users can read the data directory, which holds password hashes and signing keys: ${shared.join(", ")}; fix with: chmod -R go= ${shellQuote(dataDir)}`,
    );
  }
}

/**
 * Writes a secret for the operator (the generated lncrawl admin password) as a 0600 file, whatever the umask: an
 * existing file keeps its mode on open, so it is set again after writing.
 */
export function writePrivateFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function modeOf(path: string): number | null {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return null;
  }
}

function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
