// SQLite (bun:sqlite), the zero-configuration default: one file in the data directory, one connection.
//
// Core's transactions are async (PostgreSQL needs that), but a SQLite connection has one transaction at a time and
// every statement on it joins whatever transaction is open. So transactions here hold a gate: while one is open,
// statements from outside it wait, and the transaction's own handle runs past the gate. Statements themselves run
// synchronously, so nothing can slip between a gate check and its statement.
import { Database as SQLite, type Statement } from "bun:sqlite";
import { drizzle } from "drizzle-orm/sqlite-proxy";
import type { Database, DatabaseHandle, Transaction } from "./database.ts";
import {
  compiledTransactionQuery,
  lookupSql,
  rowMapper,
  type Lookup,
  type LookupQuery,
  type TransactionQuery,
  type TransactionStatement,
} from "./lookup.ts";
import { sha256Hex } from "../lib/secrets.ts";
import { embeddedMigrations } from "./migrations.ts";
import { refuseNewerSchema } from "./newer-schema.ts";
import { processLocks } from "./process-locks.ts";
import { startCheckpointer, type Checkpointer } from "./sqlite-checkpointer.ts";
import * as schema from "./schema.ts";

type Method = "run" | "all" | "values" | "get";

/** Statements kept per SQL text; past this many the cache starts over (drizzle makes a few dozen shapes). */
const STATEMENT_CACHE_SIZE = 500;

/** `cacheMiB`: SQLite's page cache for this connection (SQLite's default, 2 MB, when not given). */
export function openSqlite(file: string, options: { backgroundCheckpoints?: boolean; cacheMiB?: number } = {}): DatabaseHandle {
  const sqlite = new SQLite(file, { create: true, strict: true });
  // WAL lets readers run beside the one writer; busy_timeout makes a second process's writer wait instead of failing.
  sqlite.run("PRAGMA journal_mode = WAL");
  sqlite.run("PRAGMA synchronous = NORMAL");
  sqlite.run("PRAGMA busy_timeout = 5000");
  sqlite.run("PRAGMA foreign_keys = ON");
  // SQLite's default cache is 2 MB: on a database of gigabytes the pages many distinct sessions and the purge's
  // random index rows touch outgrow it, and each is read again from the OS (SQLITE_CACHE_MB; bench/README.md, "Scale").
  // Negative: in KiB, not pages. SQLite allocates it as pages are read, so a small database uses no more than its size.
  if (options.cacheMiB !== undefined) sqlite.run(`PRAGMA cache_size = ${-Math.round(options.cacheMiB * 1024)}`);

  // Compiling SQL (sqlite3_prepare) is a real share of a short request: the same SQL text gets the same compiled statement.
  // Safe because every statement runs to its end synchronously, so no two uses of one statement overlap.
  const statements = new Map<string, Statement>();
  function statement(sql: string): Statement {
    let compiled = statements.get(sql);
    if (compiled === undefined) {
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
      compiled = sqlite.prepare(sql);
      statements.set(sql, compiled);
    }
    return compiled;
  }

  // The lookups of one turn of the event loop share a read transaction, ended at the turn's end or before any
  // other statement. Outside a transaction every statement takes and drops a WAL read lock, two fcntl calls on the
  // -shm file, most of a primary-key lookup's time. What a lookup sees is then at most one turn old for
  // another process's writes (a CLI command's), and this connection's own writes end the read first, so they are
  // committed at once and seen by the next lookup.
  const beginRead = sqlite.prepare("BEGIN");
  const endRead = sqlite.prepare("COMMIT");
  let reading = false;
  function stopReading(): void {
    if (!reading) return;
    reading = false;
    try {
      endRead.run();
    } catch {
      // A read-only transaction has nothing to commit; whatever failed, none may stay open under the next statement.
      if (sqlite.inTransaction) sqlite.run("ROLLBACK");
    }
  }
  function startReading(): void {
    if (reading) return;
    beginRead.run();
    reading = true;
    setImmediate(stopReading);
  }

  function execute(sql: string, params: unknown[], method: Method): { rows: unknown[] } {
    stopReading();
    const compiled = statement(sql);
    const bound = params as never[];
    if (method === "run") {
      compiled.run(...bound);
      return { rows: [] };
    }
    const rows = compiled.values(...bound);
    return { rows: method === "get" ? (rows[0] as unknown[]) : rows };
  }

  let open: Promise<void> | null = null; // settles when the open transaction ends

  async function gated(sql: string, params: unknown[], method: Method) {
    while (open !== null) await open;
    return execute(sql, params, method);
  }

  // A server checkpoints on a worker thread (sqlite-checkpointer.ts); a one-off command (export, import, user)
  // keeps SQLite's own. The server's part, the frames the worker's pass left, runs between transactions.
  const checkpointer: Checkpointer | null = options.backgroundCheckpoints
    ? startCheckpointer(sqlite, file, () => {
        if (open !== null) return;
        stopReading();
        sqlite.run("PRAGMA wal_checkpoint(PASSIVE)");
      })
    : null;

  const inside: Transaction = drizzle(async (sql, params, method) => execute(sql, params, method), { schema });

  async function transaction<T>(body: (tx: Transaction) => Promise<T>): Promise<T> {
    while (open !== null) await open;
    let end!: () => void;
    open = new Promise<void>((resolve) => (end = resolve));
    try {
      // IMMEDIATE takes the write lock now, so another process's writer cannot make this one fail half-way.
      stopReading();
      sqlite.run("BEGIN IMMEDIATE");
      try {
        const result = await body(inside);
        sqlite.run("COMMIT");
        return result;
      } catch (error) {
        if (sqlite.inTransaction) sqlite.run("ROLLBACK");
        throw error;
      }
    } finally {
      open = null;
      end();
    }
  }

  function lookup<Row>(query: LookupQuery<Row>): Lookup<Row> {
    const { sql, names } = lookupSql(query);
    const compiled = sqlite.prepare(sql);
    const toRow = rowMapper<Row>(query._.selectedFields);
    const rowOf = ([values]: unknown[][]): Row | null => (values === undefined ? null : toRow(values));
    // The parameters in the statement's order; a lookup of one key binds it alone.
    const keyFirst = names[0] === "key";
    const find =
      names.length === 1
        ? (key: string): Row | null => {
            startReading();
            return rowOf(compiled.values(key));
          }
        : (key: string, also?: string): Row | null => {
            if (also === undefined) throw new Error("lookup: this lookup takes a second key (also)");
            startReading();
            return rowOf(keyFirst ? compiled.values(key, also) : compiled.values(also, key));
          };
    // At once while no transaction is open, the usual case (no await is reached); otherwise through the gate like
    // any statement. Being async, a failure (e.g. SQLITE_BUSY) comes out as a rejection, not a throw.
    return async (key, also) => {
      while (open !== null) await open;
      return find(key, also);
    };
  }

  // Straight on bun:sqlite, like a lookup: drizzle's proxy driver hands a statement's result through four awaits
  // and its generic mapping. Only inside a transaction (the gate is then held by it) and on its handle.
  function transactionStatement<Row>(build: (tx: Transaction) => TransactionQuery<Row>): TransactionStatement<Row> {
    let compiled: { run: Statement; bind: (values: Record<string, unknown>) => unknown[]; toRow: (values: unknown[]) => Row } | null = null;
    return async (tx, values) => {
      if (tx !== inside || open === null) throw new Error("a transaction statement ran outside its transaction");
      if (compiled === null) {
        const { sql, bind, toRow } = compiledTransactionQuery(build(inside));
        compiled = { run: sqlite.prepare(sql), bind, toRow };
      }
      const rows = compiled.run.values(...(compiled.bind(values) as never[]));
      return rows.map(compiled.toRow);
    };
  }

  // One process owns the file (WAL lets an operator's CLI command in beside it, but only one server), so a
  // lock in memory is a lock for every writer that matters.
  const withLock = processLocks();
  const db: Database = Object.assign(drizzle(gated, { schema }), {
    tables: schema,
    engine: "sqlite" as const,
    transaction,
    withLock,
    lookup,
    transactionStatement,
    writesCheckpointed: () => checkpointer?.checkpointedNow() ?? Promise.resolve(),
  });

  return {
    db,
    migrate: async () => migrateSqlite(sqlite, file),
    isMigrated: async () =>
      sqlite.query(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'`).get() !== null,
    description: file,
    close: async () => {
      await checkpointer?.stop();
      stopReading();
      sqlite.close();
    },
  };
}

/** Applies every embedded migration not yet recorded, in one transaction; returns the tags it applied. */
function migrateSqlite(sqlite: SQLite, file: string): string[] {
  const migrations = embeddedMigrations("sqlite");
  // A migration that carries secrets over may need their digest, as PostgreSQL's migrations get it from sha256():
  // SQLite has no such function, so the migrator lends the connection one (lowercase hex of the UTF-8 text).
  sqlite.function("sha256_hex", (text: unknown) => (typeof text === "string" ? sha256Hex(text) : null));
  sqlite.run(`CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  const recorded = sqlite.query<{ hash: string; created_at: number }, []>(`SELECT hash, created_at FROM "__drizzle_migrations"`).all();
  refuseNewerSchema(recorded.map((row) => ({ hash: row.hash, createdAtMillis: Number(row.created_at) })), migrations, file);
  const applied = new Set(recorded.map((row) => Number(row.created_at)));
  const pending = migrations.filter((migration) => !applied.has(migration.folderMillis));
  sqlite.transaction(() => {
    for (const migration of pending) {
      for (const statement of migration.sql) if (statement.trim()) sqlite.run(statement);
      sqlite.run(`INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES (?, ?)`, [migration.hash, migration.folderMillis]);
    }
  }).immediate();
  return pending.map((migration) => migration.tag);
}
