// One-row lookups by a unique key: the statements every signed-in request runs, compiled once.
//
// drizzle's prepared statements still cost ~7 us on SQLite for a user's row, about twice the statement itself:
// the async proxy driver hands each result through four awaits, and its generic row mapping asks every field what
// kind of thing it is on every row. On SQLite a lookup runs its statement straight on bun:sqlite and maps the row
// with the decoders worked out once (~3.5 us; issue 7's authenticated read). PostgreSQL keeps drizzle's path: a
// network round trip dwarfs the mapping.
import { Column, is, Placeholder, SQL } from "drizzle-orm";

/** A drizzle select of flat fields whose one parameter is `sql.placeholder("key")`, e.g. a unique column's value. */
export interface LookupQuery<Row> {
  _: { selectedFields: Record<string, unknown>; result: Row[] };
  toSQL(): { sql: string; params: unknown[] };
  prepare(): { execute(values: { key: string }): Promise<Row[]> };
}

/** The row whose key is `key`, or null. */
export type Lookup<Row> = (key: string) => Promise<Row | null>;

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

/** The SQL of a lookup, checked to take exactly the one `key` placeholder. */
export function lookupSql(query: LookupQuery<unknown>): string {
  const { sql, params } = query.toSQL();
  if (params.length !== 1 || !is(params[0], Placeholder) || (params[0] as Placeholder).name !== "key") {
    throw new Error(`lookup: the query must take one parameter, sql.placeholder("key"): ${sql}`);
  }
  return sql;
}

/** drizzle's own prepared statement (PostgreSQL). */
export function preparedLookup<Row>(query: LookupQuery<Row>): Lookup<Row> {
  lookupSql(query);
  const prepared = query.prepare();
  return async (key) => (await prepared.execute({ key }))[0] ?? null;
}
