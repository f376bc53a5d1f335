// Keyset paging, newest first, over an (at, id) index: a page is the rows strictly before the last one of the page
// before it, so the 1000th page costs what the first does (no OFFSET) and rows added meanwhile never shift a page.
import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "../database.ts";

/** Where the previous page ended: its last row's time and id. */
export interface NewestFirstCursor {
  at: number;
  id: string;
}

/** A page and, when there may be more, where the next one starts. */
export interface NewestFirstPage<Row> {
  rows: Row[];
  next: NewestFirstCursor | null;
}

/** The rows before the cursor, as a row-value comparison both engines answer from the index. */
export function before(at: SQLiteColumn, id: SQLiteColumn, cursor: NewestFirstCursor | null): SQL | undefined {
  return cursor === null ? undefined : sql`(${at}, ${id}) < (${cursor.at}, ${cursor.id})`;
}

export function newestFirst(at: SQLiteColumn, id: SQLiteColumn): SQL[] {
  return [desc(at), desc(id)];
}

/** Fetches one more row than asked, to know whether a next page exists without counting. */
export function pageOf<Row extends { at: number; id: string }>(rows: Row[], limit: number): NewestFirstPage<Row> {
  if (rows.length <= limit) return { rows, next: null };
  const page = rows.slice(0, limit);
  const last = page[page.length - 1]!;
  return { rows: page, next: { at: last.at, id: last.id } };
}

/** A table paged newest first: its rows carry a time and an id, indexed together. */
export type NewestFirstTable = SQLiteTable & { at: SQLiteColumn; id: SQLiteColumn };

/** Which column each field of a filter compares with. */
export type FilterColumns<Filter> = { [Field in keyof Filter]-?: SQLiteColumn };

/**
 * One page of a log read newest first (the console's audit log, its security events): the rows whose columns equal
 * every field the filter gives (an absent field does not filter), after the cursor.
 */
export async function pageNewestFirst<Table extends NewestFirstTable, Filter extends object>(
  db: Database,
  table: Table,
  columns: FilterColumns<Filter>,
  filter: Filter,
  cursor: NewestFirstCursor | null,
  limit: number,
): Promise<NewestFirstPage<Table["$inferSelect"]>> {
  const fields = Object.keys(columns) as (keyof Filter)[];
  const matches = fields.map((field) => (filter[field] === undefined ? undefined : eq(columns[field], filter[field])));
  const rows = await db
    .select()
    .from(table)
    .where(and(...matches, before(table.at, table.id, cursor)))
    .orderBy(...newestFirst(table.at, table.id))
    .limit(limit + 1);
  return pageOf(rows as (Table["$inferSelect"] & NewestFirstCursor)[], limit);
}
