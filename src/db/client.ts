// Opens the SQLite database and applies the embedded migrations.
import { Database as SQLite } from "bun:sqlite";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { sql } from "drizzle-orm";
import * as schema from "./schema.ts";
import { embeddedMigrations } from "./migrations.ts";

export type Database = BunSQLiteDatabase<typeof schema>;

export interface DatabaseHandle {
  db: Database;
  close(): void;
}

export function openDatabase(file: string): DatabaseHandle {
  const sqlite = new SQLite(file, { create: true, strict: true });
  // WAL lets readers run beside the one writer; busy_timeout makes a second writer wait instead of failing.
  sqlite.run("PRAGMA journal_mode = WAL");
  sqlite.run("PRAGMA synchronous = NORMAL");
  sqlite.run("PRAGMA busy_timeout = 5000");
  sqlite.run("PRAGMA foreign_keys = ON");
  cacheStatements(sqlite);
  const db = drizzle(sqlite, { schema });
  return { db, close: () => sqlite.close() };
}

/** Statements kept per SQL text; past this many the cache starts over (drizzle makes a few dozen shapes). */
const STATEMENT_CACHE_SIZE = 500;

/**
 * drizzle's bun-sqlite driver compiles every query it runs (`client.prepare(sql)`) and throws the statement away:
 * sqlite3_prepare was ~15% of a refresh (issue 7's bench). The same SQL text gets the same compiled statement here.
 * Safe because drizzle runs each statement to its end synchronously (all/get/run/values, never a lazy iterate), so
 * no two uses of one statement overlap, and it never finalizes them.
 */
function cacheStatements(sqlite: SQLite): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, ReturnType<SQLite["prepare"]>>();
  sqlite.prepare = ((query: string, ...rest: unknown[]) => {
    if (rest.length > 0) return (prepare as (...args: unknown[]) => ReturnType<SQLite["prepare"]>)(query, ...rest);
    let statement = cache.get(query);
    if (statement === undefined) {
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
      statement = prepare(query);
      cache.set(query, statement);
    }
    return statement;
  }) as SQLite["prepare"];
}

/** Applies every embedded migration not yet recorded; returns the tags it applied. */
export function migrateDatabase(db: Database): string[] {
  const migrations = embeddedMigrations();
  db.run(sql`CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  const applied = new Set(
    db.all<{ created_at: number }>(sql`SELECT created_at FROM "__drizzle_migrations"`).map((row) => Number(row.created_at)),
  );
  const pending = migrations.filter((migration) => !applied.has(migration.folderMillis));
  if (pending.length === 0) return [];
  db.transaction((tx) => {
    for (const migration of pending) {
      for (const statement of migration.sql) if (statement.trim()) tx.run(sql.raw(statement));
      tx.run(sql`INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES (${migration.hash}, ${migration.folderMillis})`);
    }
  });
  return pending.map((migration) => migration.tag);
}
