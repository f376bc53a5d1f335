// A database left by an older latchkey: the migrations before one applied and recorded the way latchkey records
// them, so a server started on it applies the rest, as an upgrade does. For tests of a migration that carries data.
import { expect } from "bun:test";
import { embeddedMigrations } from "../../src/db/migrations.ts";
import { queryDatabase, TEST_BACKEND } from "./backend.ts";

/** The engine of the suite's backend, as the migrations name it. */
export const migrationDialect = TEST_BACKEND === "postgres-s3" ? "postgres" : "sqlite";

/** Applies every migration before the one whose tag ends with `_${name}` to `dataDir`'s database (remembered first). */
export async function migrateToBefore(dataDir: string, name: string): Promise<void> {
  const all = embeddedMigrations(migrationDialect);
  const next = all.findIndex((migration) => migration.tag.endsWith(`_${name}`));
  expect(next).toBeGreaterThan(0);
  const bookkeeping = migrationDialect === "postgres" ? "drizzle.__drizzle_migrations" : `"__drizzle_migrations"`;
  if (migrationDialect === "postgres") {
    await queryDatabase(dataDir, "CREATE SCHEMA drizzle");
    await queryDatabase(dataDir, `CREATE TABLE ${bookkeeping} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
  } else {
    await queryDatabase(dataDir, `CREATE TABLE ${bookkeeping} (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  }
  for (const migration of all.slice(0, next)) {
    for (const statement of migration.sql) if (statement.trim()) await queryDatabase(dataDir, statement);
    await queryDatabase(dataDir, `INSERT INTO ${bookkeeping} (hash, created_at) VALUES (?, ?)`, [migration.hash, migration.folderMillis]);
  }
}
