// A database as an older latchkey left it, for the tests of a migration: the embedded migrations before it applied and
// recorded the way latchkey records them (on the suite's backend), so a server started on it applies the rest.
import { expect } from "bun:test";
import { Database as SQLite } from "bun:sqlite";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/db/migrations.ts";
import { sha256Hex } from "../../src/lib/secrets.ts";
import { queryDatabase, TEST_BACKEND } from "./backend.ts";

export const dialect = TEST_BACKEND === "postgres-s3" ? "postgres" : "sqlite";

/** Applies every migration before the one whose tag ends with `_${name}` to the database of `dataDir`. */
export async function migrateToBefore(dataDir: string, name: string): Promise<void> {
  const all = embeddedMigrations(dialect);
  const redesign = all.findIndex((migration) => migration.tag.endsWith(`_${name}`));
  expect(redesign).toBeGreaterThan(0);
  const bookkeeping = dialect === "postgres" ? "drizzle.__drizzle_migrations" : `"__drizzle_migrations"`;
  if (dialect === "postgres") {
    await queryDatabase(dataDir, "CREATE SCHEMA drizzle");
    await queryDatabase(dataDir, `CREATE TABLE ${bookkeeping} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
  } else {
    await queryDatabase(dataDir, `CREATE TABLE ${bookkeeping} (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  }
  for (const migration of all.slice(0, redesign)) {
    if (dialect === "postgres") {
      for (const statement of migration.sql) if (statement.trim()) await queryDatabase(dataDir, statement);
    } else {
      applyOnSqlite(dataDir, migration.sql);
    }
    await queryDatabase(dataDir, `INSERT INTO ${bookkeeping} (hash, created_at) VALUES (?, ?)`, [migration.hash, migration.folderMillis]);
  }
}

/** Runs a migration's statements with the sha256_hex() latchkey's migrator lends SQLite (src/db/sqlite.ts). */
function applyOnSqlite(dataDir: string, statements: string[]): void {
  const sqlite = new SQLite(join(dataDir, "latchkey.db"));
  try {
    sqlite.function("sha256_hex", (text: unknown) => (typeof text === "string" ? sha256Hex(text) : null));
    for (const statement of statements) if (statement.trim()) sqlite.run(statement);
  } finally {
    sqlite.close();
  }
}
