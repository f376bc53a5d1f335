// Opens the database latchkey is configured for: SQLite in the data directory, or PostgreSQL at DATABASE_URL.
import type { DatabaseHandle } from "./database.ts";
import { openSqlite } from "./sqlite.ts";

export type { Database, DatabaseHandle, Engine, Tables, Transaction } from "./database.ts";

export interface DatabaseLocation {
  /** postgres://... when set; otherwise the SQLite file. */
  url?: string | null;
  sqliteFile: string;
}

/** `serving`: for the long-running server (SQLite then checkpoints its WAL on a background thread). */
export async function openDatabase(location: DatabaseLocation, options: { serving?: boolean; sqliteCacheMiB?: number } = {}): Promise<DatabaseHandle> {
  if (!location.url) return openSqlite(location.sqliteFile, { backgroundCheckpoints: options.serving, cacheMiB: options.sqliteCacheMiB });
  // Loaded only for PostgreSQL: its driver and schema are not needed by the SQLite default, and not at its start-up.
  const { openPostgres } = await import("./postgres.ts");
  return openPostgres(location.url);
}
