// The database port every module talks to: a drizzle query builder plus the tables of the dialect in use.
//
// Core code is written once against the SQLite flavour of drizzle's builder (its types) and runs on either
// dialect: both schemas declare the same tables with the same row types (test/schema-parity.test.ts), and core
// uses only what both builders share: `await` on a query (rows as an array), prepared `.execute()`, `.returning()`,
// `.onConflictDoUpdate()`, and `db.transaction(async (tx) => ...)`. Sync-only calls (`.get()`, `.all()`, `.run()`)
// do not exist on PostgreSQL and must not be used.
import type { SqliteRemoteDatabase } from "drizzle-orm/sqlite-proxy";
import type { Lookup, LookupQuery, TransactionQuery, TransactionStatement } from "./lookup.ts";
import type * as schema from "./schema.ts";

/** Which database engine; named `engine` because drizzle keeps its SQL dialect object as `dialect`. */
export type Engine = "sqlite" | "postgres";

/** The tables, as the SQLite schema types them (the PostgreSQL ones have the same row types). */
export type Tables = typeof schema;

type QueryBuilder = Omit<SqliteRemoteDatabase<Tables>, "transaction" | "batch">;

/** A transaction's handle: the same builder, bound to the transaction. Transactions do not nest. */
export type Transaction = QueryBuilder;

export type Database = QueryBuilder & {
  /** The tables of this database's dialect: build every query from these, never from an imported schema. */
  readonly tables: Tables;
  readonly engine: Engine;
  /**
   * Runs `body` in a transaction: committed when it resolves, rolled back when it throws. Inside, use only `tx`:
   * on SQLite a statement through `db` waits for the transaction to end (so it would wait forever), and on
   * PostgreSQL it would run outside the transaction.
   */
  transaction<T>(body: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Runs `action` while holding the lock called `name`, held across every instance on this database (SQLite:
   * one process owns the file, so in memory; PostgreSQL: an advisory lock). For work that spans the database
   * and something else, such as a file's bytes and its row.
   */
  withLock<T>(name: string, action: () => Promise<T>): Promise<T>;
  /**
   * Compiles a lookup of the row whose unique column equals `sql.placeholder("key")` (src/db/lookup.ts): what a
   * prepared `.execute()` would give, its first row or null, for the statements every request runs.
   */
  lookup<Row>(query: LookupQuery<Row>): Lookup<Row>;
  /**
   * Compiles a statement for use inside transactions: `build` prepares it on a transaction's handle, with named
   * placeholders (`sql.placeholder(...)`), and the result runs it in the transaction it is given, answering what the
   * prepared `.execute(values)` would. Built once on SQLite (its transaction handle is always the same), once per
   * transaction on PostgreSQL. For the writes every request makes (a refresh's rotation, src/db/repositories/sessions.ts).
   */
  transactionStatement<Row>(build: (tx: Transaction) => TransactionQuery<Row>): TransactionStatement<Row>;
  /**
   * Resolves once what was committed before the call has been copied from SQLite's WAL into the database file by
   * the server's checkpoint thread (src/db/sqlite-checkpointer.ts); at once on PostgreSQL and without that thread.
   * For bulk writes done in slices (the purge): waiting for it between slices keeps their copying off the event loop.
   */
  writesCheckpointed(): Promise<void>;
};

export interface DatabaseHandle {
  db: Database;
  /** Applies the embedded migrations not yet applied; returns their tags. */
  migrate(): Promise<string[]>;
  /**
   * Whether latchkey's migrations have ever run here: false for an empty SQLite file or a PostgreSQL database
   * without latchkey's tables (the operator's commands refuse those rather than create a database by mistake).
   */
  isMigrated(): Promise<boolean>;
  /** Where the data is, for logs: the SQLite file, or the PostgreSQL host and database (no password). */
  description: string;
  close(): Promise<void>;
}
