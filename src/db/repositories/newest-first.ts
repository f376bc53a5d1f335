// Keyset paging, newest first, over an (at, id) index: a page is the rows strictly before the last one of the page
// before it, so the 1000th page costs what the first does (no OFFSET) and rows added meanwhile never shift a page.
import { desc, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";

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
