// PostgreSQL through Bun's built-in client (Bun.SQL), for several instances on one database (DATABASE_URL).
import { SQL } from "bun";
import { drizzle } from "drizzle-orm/bun-sql";
import { ConfigError } from "../lib/errors.ts";
import type { Database, DatabaseHandle, Tables } from "./database.ts";
import { preparedLookup, preparedTransactionStatement } from "./lookup.ts";
import { embeddedMigrations } from "./migrations.ts";
import { refuseNewerSchema } from "./newer-schema.ts";
import { processLocks } from "./process-locks.ts";
import * as schema from "./schema-pg.ts";

/** Connections per instance. A request holds one only for a statement or a short transaction. */
const POOL_SIZE = 10;
/** Connections for withLock(): the most lock holders one instance has at once; more wait for one. */
const LOCK_POOL_SIZE = 4;
/** pg_advisory_xact_lock key of the migration step: instances starting together migrate one after another. */
const MIGRATION_LOCK = 0x6c61_7463; // "latc"

export async function openPostgres(url: string): Promise<DatabaseHandle> {
  const client = new SQL({ url, max: POOL_SIZE, idleTimeout: 60, connectionTimeout: 10 });
  try {
    await client`SELECT 1`;
  } catch (error) {
    await client.close();
    // Reported like a bad setting (exit 2, naming DATABASE_URL): the usual cause is a wrong host, name or password.
    throw new ConfigError([`DATABASE_URL: cannot connect to ${describe(url)}: ${(error as Error).message}`]);
  }
  // Both schemas have the same tables and row types (test/schema-parity.test.ts); core is typed against SQLite's.
  const orm = drizzle({ client, schema });
  const locks = new SQL({ url, max: LOCK_POOL_SIZE, idleTimeout: 60, connectionTimeout: 10 });
  const withLocalLock = processLocks();
  const withLock = <T>(name: string, action: () => Promise<T>): Promise<T> =>
    // In-process first, so one instance's waiters queue in memory and hold at most one lock connection per name.
    withLocalLock(name, async () => {
      // A session-level advisory lock on a connection of its own: the action's queries use the main pool, so a
      // wait for the lock never holds a connection the lock holder needs.
      const connection = await locks.reserve();
      try {
        await connection`SELECT pg_advisory_lock(hashtextextended(${name}, 0))`;
        try {
          return await action();
        } finally {
          await connection`SELECT pg_advisory_unlock(hashtextextended(${name}, 0))`;
        }
      } finally {
        connection.release();
      }
    });
  const db = Object.assign(orm, { tables: schema as unknown as Tables, engine: "postgres" as const, withLock, lookup: preparedLookup, transactionStatement: preparedTransactionStatement, writesCheckpointed: () => Promise.resolve() }) as unknown as Database;
  return {
    db,
    description: describe(url),
    migrate: () => migratePostgres(client, describe(url)),
    async isMigrated() {
      const [row]: { present: boolean }[] = await client`SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS present`;
      return row?.present === true;
    },
    close: async () => {
      await locks.close();
      await client.close();
    },
  };
}

/** host:port/database, without the credentials, for logs and errors. */
function describe(url: string): string {
  const parsed = new URL(url);
  return `postgres://${parsed.host}${parsed.pathname}`;
}

/**
 * Applies the embedded migrations not yet recorded, all in one transaction (PostgreSQL's DDL is transactional).
 * The advisory lock makes a second instance starting at the same moment wait, then find nothing left to do.
 * The bookkeeping table is drizzle's own (drizzle.__drizzle_migrations), so drizzle-kit sees the same history.
 */
async function migratePostgres(client: SQL, database: string): Promise<string[]> {
  const migrations = embeddedMigrations("postgres");
  return client.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE SCHEMA IF NOT EXISTS drizzle`;
    await tx`CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`;
    const recorded: { hash: string; created_at: string }[] = await tx`SELECT hash, created_at FROM drizzle.__drizzle_migrations`;
    refuseNewerSchema(recorded.map((row) => ({ hash: row.hash, createdAtMillis: Number(row.created_at) })), migrations, database);
    const applied = new Set(recorded.map((row) => Number(row.created_at)));
    const pending = migrations.filter((migration) => !applied.has(migration.folderMillis));
    for (const migration of pending) {
      for (const statement of migration.sql) if (statement.trim()) await tx.unsafe(statement);
      await tx`INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES (${migration.hash}, ${migration.folderMillis})`;
    }
    return pending.map((migration) => migration.tag);
  });
}
