// One-row lookups by a unique key: the statements every signed-in request runs, compiled once. And the same for
// statements run inside transactions (transactionStatement below), such as a refresh's rotation.
//
// drizzle's prepared statements still cost about twice the statement itself on SQLite for a user's row:
// the async proxy driver hands each result through four awaits, and its generic row mapping asks every field what
// kind of thing it is on every row. On SQLite a lookup runs its statement straight on bun:sqlite and maps the row
// with the decoders worked out once, about half the time (bench/README.md). PostgreSQL keeps drizzle's path: a
// network round trip dwarfs the mapping.
import { Column, is, Param, Placeholder, SQL } from "drizzle-orm";
import type { Transaction } from "./database.ts";

/**
 * A drizzle select of flat fields whose parameters are `sql.placeholder("key")`, e.g. a unique column's value, and at
 * most one more, `sql.placeholder("also")` (a second row's key read in the same statement, e.g. the caller's account).
 */
export interface LookupQuery<Row> {
  _: { selectedFields: Record<string, unknown>; result: Row[] };
  toSQL(): { sql: string; params: unknown[] };
  prepare(): { execute(values: { key: string; also?: string }): Promise<Row[]> };
}

/** The row whose key is `key` (and `also`, for a lookup that takes it), or null. */
export type Lookup<Row> = (key: string, also?: string) => Promise<Row | null>;

type Decoder = { mapFromDriverValue(value: unknown): unknown };

// An SQL expression keeps what `.mapWith()` gave it as `decoder`, which drizzle's types mark internal.
const decoderOfSql = (expression: SQL): Decoder => (expression as unknown as { decoder: Decoder }).decoder;

function decoderOf(name: string, field: unknown): Decoder {
  if (is(field, Column)) return field;
  if (is(field, SQL)) return decoderOfSql(field);
  if (is(field, SQL.Aliased)) return decoderOfSql(field.sql);
  throw new Error(`lookup: field ${name} is not a column or an SQL expression`);
}

/**
 * Turns a positional row (bun:sqlite's `values()`, in the select's field order) into drizzle's object for the same
 * select: the same keys in the same order, each value through its column's decoder (booleans, JSON), null as null.
 */
export function rowMapper<Row>(selectedFields: Record<string, unknown>): (values: unknown[]) => Row {
  const fields = Object.entries(selectedFields).map(([name, field]) => ({ name, decoder: decoderOf(name, field) }));
  return (values) => {
    const row: Record<string, unknown> = {};
    for (let index = 0; index < fields.length; index++) {
      const value = values[index];
      const field = fields[index]!;
      row[field.name] = value === null ? null : field.decoder.mapFromDriverValue(value);
    }
    return row as Row;
  };
}

const LOOKUP_PLACEHOLDERS = ["key", "also"];

/**
 * The SQL of a lookup and the names of its parameters in their order, checked: placeholders only, `key` once, and at
 * most `also` besides (once).
 */
export function lookupSql(query: LookupQuery<unknown>): { sql: string; names: ("key" | "also")[] } {
  const { sql, params } = query.toSQL();
  const names = params.map((param) => (is(param, Placeholder) ? param.name : null));
  const valid =
    names.every((name) => name !== null && LOOKUP_PLACEHOLDERS.includes(name)) &&
    names.filter((name) => name === "key").length === 1 &&
    names.filter((name) => name === "also").length <= 1;
  if (!valid) throw new Error(`lookup: the query must take sql.placeholder("key") once, and at most sql.placeholder("also"): ${sql}`);
  return { sql, names: names as ("key" | "also")[] };
}

/** drizzle's own prepared statement (PostgreSQL). */
export function preparedLookup<Row>(query: LookupQuery<Row>): Lookup<Row> {
  const { names } = lookupSql(query);
  const prepared = query.prepare();
  if (!names.includes("also")) return async (key) => (await prepared.execute({ key }))[0] ?? null;
  return async (key, also) => {
    if (also === undefined) throw new Error("lookup: this lookup takes a second key (also)");
    return (await prepared.execute({ key, also }))[0] ?? null;
  };
}

/**
 * A statement prepared on a transaction's handle (`tx.update(...)...returning(...).prepare()`) whose parameters are
 * named placeholders, returning flat fields only.
 */
export interface TransactionQuery<Row> {
  execute(values: Record<string, unknown>): Promise<Row[]>;
}

/** Runs a transaction statement in the transaction `tx`: the rows its prepared `.execute(values)` would give. */
export type TransactionStatement<Row> = (tx: Transaction, values: Record<string, unknown>) => Promise<Row[]>;

/** drizzle's own prepared statement, made once per transaction handle (PostgreSQL: a handle per transaction). */
export function preparedTransactionStatement<Row>(build: (tx: Transaction) => TransactionQuery<Row>): TransactionStatement<Row> {
  const prepared = new WeakMap<Transaction, TransactionQuery<Row>>();
  return (tx, values) => {
    let query = prepared.get(tx);
    if (query === undefined) prepared.set(tx, (query = build(tx)));
    return query.execute(values);
  };
}

/** What a drizzle prepared query keeps of its SQL and result (sqlite-proxy's SQLitePreparedQuery; internal fields). */
interface PreparedInternals {
  getQuery(): { sql: string; params: unknown[] };
  fields?: { path: string[]; field: unknown }[];
}

/**
 * The statement's parameters from the named values of one run: drizzle's fillPlaceholders, with what each parameter
 * is (a placeholder, an encoded placeholder, a constant) worked out once instead of asked of every parameter on every
 * run (drizzle's `is()` walks the class chain; a rotation's 8 parameters are part of every refresh).
 */
export function parameterFiller(params: unknown[]): (values: Record<string, unknown>) => unknown[] {
  const fill = params.map((param): ((values: Record<string, unknown>) => unknown) => {
    const named = (name: string, encode: (value: unknown) => unknown = (value) => value) => (values: Record<string, unknown>) => {
      if (!(name in values)) throw new Error(`No value for placeholder "${name}" was provided`);
      return encode(values[name]);
    };
    if (is(param, Placeholder)) return named(param.name);
    if (is(param, Param) && is(param.value, Placeholder)) return named(param.value.name, (value) => param.encoder.mapToDriverValue(value));
    return () => param;
  });
  return (values) => {
    const bound = new Array<unknown>(fill.length);
    for (let index = 0; index < fill.length; index++) bound[index] = fill[index]!(values);
    return bound;
  };
}

/** The SQL, parameters and row mapper of a prepared query, to run it on the driver directly. */
export function compiledTransactionQuery<Row>(query: TransactionQuery<Row>): {
  sql: string;
  bind: (values: Record<string, unknown>) => unknown[];
  toRow: (values: unknown[]) => Row;
} {
  const { getQuery, fields } = query as unknown as PreparedInternals;
  const { sql, params } = getQuery.call(query);
  const shape: Record<string, unknown> = {};
  for (const { path, field } of fields ?? []) {
    if (path.length !== 1) throw new Error(`transaction statement: nested result fields are not supported: ${sql}`);
    shape[path[0]!] = field;
  }
  return { sql, bind: parameterFiller(params), toRow: rowMapper<Row>(shape) };
}
