// Opens the database latchkey is configured for: SQLite in the data directory, or PostgreSQL at DATABASE_URL.
import type { DatabaseHandle } from "./database.ts";
import { openPostgres } from "./postgres.ts";
import { openSqlite } from "./sqlite.ts";

export type { Database, DatabaseHandle, Engine, Tables, Transaction } from "./database.ts";

export interface DatabaseLocation {
  /** postgres://... when set; otherwise the SQLite file. */
  url?: string | null;
  sqliteFile: string;
}

export async function openDatabase(location: DatabaseLocation): Promise<DatabaseHandle> {
  return location.url ? openPostgres(location.url) : openSqlite(location.sqliteFile);
}
