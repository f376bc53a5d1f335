// The PostgreSQL schema (src/db/schema-pg.ts) mirrors the SQLite one (src/db/schema.ts): core is typed against
// SQLite's tables and runs unchanged on either, so both must declare the same tables, columns, keys and indexes and
// infer the same row types. The row types are checked by the compiler (`npm run typecheck`), the rest at run time.
import { describe, expect, test } from "bun:test";
import { getTableName } from "drizzle-orm";
import { getTableConfig as pgTableConfig, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import * as pg from "../src/db/schema-pg.ts";
import * as sqlite from "../src/db/schema.ts";

// ---- Row types: a compile error below names the table whose types differ. ----

/** True only when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type SqliteTableName = { [K in keyof typeof sqlite]: (typeof sqlite)[K] extends SQLiteTable ? K : never }[keyof typeof sqlite];
type PgTableName = { [K in keyof typeof pg]: (typeof pg)[K] extends PgTable ? K : never }[keyof typeof pg];

type RowParity = {
  [K in SqliteTableName]: K extends PgTableName
    ? {
        select: Equal<(typeof sqlite)[K]["$inferSelect"], (typeof pg)[K]["$inferSelect"]>;
        insert: Equal<(typeof sqlite)[K]["$inferInsert"], (typeof pg)[K]["$inferInsert"]>;
      }
    : "missing from schema-pg.ts";
};

// Every table of both schemas, each with both row types equal: a `false` (or a missing table) fails to compile.
const rowParity: RowParity = {
  users: { select: true, insert: true },
  userRoles: { select: true, insert: true },
  sessions: { select: true, insert: true },
  challenges: { select: true, insert: true },
  rateLimits: { select: true, insert: true },
  totpCredentials: { select: true, insert: true },
  files: { select: true, insert: true },
  recoveryCodes: { select: true, insert: true },
  apiTokens: { select: true, insert: true },
  generatedSecrets: { select: true, insert: true },
  mailQueue: { select: true, insert: true },
  userIdentities: { select: true, insert: true },
  webauthnCredentials: { select: true, insert: true },
  consoleSessions: { select: true, insert: true },
  auditLog: { select: true, insert: true },
  securityEvents: { select: true, insert: true },
};
// And no table that only PostgreSQL has.
const noExtraPgTables: Equal<Exclude<PgTableName, SqliteTableName>, never> = true;

// ---- Tables, columns, keys and indexes, compared by their SQL names. ----

/** A dialect-free description of one table: what both schemas must agree on. */
function describeTable(config: ReturnType<typeof sqliteTableConfig> | ReturnType<typeof pgTableConfig>) {
  const name = (column: unknown) => (column as { name: string }).name;
  return {
    name: config.name,
    columns: config.columns
      .map((column) => ({ name: column.name, notNull: column.notNull, hasDefault: column.hasDefault, primary: column.primary }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    primaryKeys: config.primaryKeys.map((key) => key.columns.map(name)),
    indexes: config.indexes
      .map((index) => ({ name: index.config.name, unique: index.config.unique, columns: index.config.columns.map(name) }))
      .sort((a, b) => a.name!.localeCompare(b.name!)),
    foreignKeys: config.foreignKeys
      .map((key) => {
        const reference = key.reference();
        return {
          columns: reference.columns.map(name),
          foreignTable: getTableName(reference.foreignTable),
          foreignColumns: reference.foreignColumns.map(name),
          // Unset means "no action" in both dialects; pg-core spells it out, sqlite-core leaves it undefined.
          onDelete: key.onDelete ?? "no action",
          onUpdate: key.onUpdate ?? "no action",
        };
      })
      .sort((a, b) => a.columns.join().localeCompare(b.columns.join())),
  };
}

const sqliteTables = Object.entries(sqlite as Record<string, unknown>).filter((entry): entry is [string, SQLiteTable] => entry[1] instanceof SQLiteTable);
const pgTables = Object.entries(pg as Record<string, unknown>).filter((entry): entry is [string, PgTable] => entry[1] instanceof PgTable);

describe("schema-pg.ts mirrors schema.ts", () => {
  test("the row types are identical (checked by tsc)", () => {
    expect(Object.keys(rowParity).sort()).toEqual(sqliteTables.map(([key]) => key).sort());
    expect(noExtraPgTables).toBe(true);
  });

  test("both export the same tables under the same names", () => {
    expect(sqliteTables.length).toBeGreaterThan(0);
    const names = (tables: [string, SQLiteTable | PgTable][], config: (table: never) => { name: string }) =>
      tables.map(([key, table]) => `${key}=${config(table as never).name}`).sort();
    expect(names(pgTables, pgTableConfig)).toEqual(names(sqliteTables, sqliteTableConfig));
  });

  for (const [key, table] of sqliteTables) {
    test(`${key}: the same columns, primary keys, indexes and foreign keys`, () => {
      const pgTable = (pg as Record<string, unknown>)[key];
      expect(pgTable).toBeInstanceOf(PgTable);
      expect(describeTable(pgTableConfig(pgTable as PgTable))).toEqual(describeTable(sqliteTableConfig(table)));
    });
  }
});
