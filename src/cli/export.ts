// `latchkey export [file]`: every account, role, session, code, TOTP secret, API token, file record and generated key of the
// configured database as JSON Lines (export-format.ts), for `latchkey import` on another database (e.g.
// SQLite to PostgreSQL, or back). It streams: a page of rows at a time, whatever the database's size.
import { open, rm, type FileHandle } from "node:fs/promises";
import { and, asc, eq, gt, or, type SQL } from "drizzle-orm";
import { ConfigError } from "../lib/errors.ts";
import type { Database, DatabaseLocation } from "../db/client.ts";
import { openExistingDatabase } from "./existing-database.ts";
import { VERSION } from "../version.ts";
import { EXPORT_FORMAT, exportedTables, type ExportHeader, type TableSpec } from "./export-format.ts";

export const EXPORT_HELP = `latchkey export [file]             write the database (accounts, password hashes, sessions, TOTP secrets,
                                   file records, generated keys) as JSON Lines to file, or to stdout without
                                   one or with "-". The file is created with mode 0600: it holds password
                                   hashes, TOTP secrets and keys. Stop the server first: what it writes
                                   meanwhile may be missed`;

/** Rows read per query: memory stays at one page whatever the table's size. */
const PAGE_ROWS = 1000;

interface Sink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
  /** Closes and removes what was written: a partial export is of no use and still holds secrets. */
  abort(): Promise<void>;
}

/** Runs the command; returns the process exit code. */
export async function exportCommand(location: DatabaseLocation, args: string[]): Promise<number> {
  if (args.length > 1) {
    console.error(`latchkey: usage:\n${EXPORT_HELP}`);
    return 2;
  }
  const target = args[0] === undefined || args[0] === "-" ? null : args[0];
  let database;
  try {
    // Opening a missing database would create an empty one and export nothing, which looks like success.
    database = await openExistingDatabase(location);
    if (database === null) return 1;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`latchkey: ${error.message}`);
      return 2;
    }
    throw error;
  }
  let sink: Sink | null = null;
  try {
    // Migrated by openExistingDatabase: the file then has every column of the current schema, whatever version last wrote this database.
    const specs = exportedTables(database.db.tables);
    sink = target === null ? stdoutSink() : await fileSink(target);
    const header: ExportHeader = { latchkey_export: EXPORT_FORMAT, version: VERSION, tables: specs.map((spec) => spec.name) };
    await sink.write(`${JSON.stringify(header)}\n`);
    const counts: Record<string, number> = {};
    for (const spec of specs) counts[spec.name] = await writeTable(database.db, spec, sink);
    await sink.write(`${JSON.stringify({ end: counts })}\n`);
    await sink.close();
    // On stderr: with no file, stdout is the export.
    for (const spec of specs) console.error(`${spec.name}: ${counts[spec.name]}`);
    console.error(`exported ${database.description}${target === null ? "" : ` to ${target} (mode 0600)`}`);
    return 0;
  } catch (error) {
    await sink?.abort();
    console.error(`latchkey: export failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await database.close();
  }
}

/** Writes the table's rows a page at a time, in primary-key order; returns how many. */
async function writeTable(db: Database, spec: TableSpec, sink: Sink): Promise<number> {
  const order = spec.keyColumns.map((column) => asc(column));
  let count = 0;
  let last: unknown[] | null = null;
  for (;;) {
    // Keyset paging (rows after the last key seen), not OFFSET: each page costs the same however deep it is.
    const query = db.select().from(spec.table);
    const page: Record<string, unknown>[] = await (last === null ? query : query.where(after(spec, last))).orderBy(...order).limit(PAGE_ROWS);
    if (page.length === 0) return count;
    let text = "";
    for (const row of page) {
      const byColumnName: Record<string, unknown> = {};
      for (const [name, { property }] of spec.columns) byColumnName[name] = row[property] ?? null;
      text += `${JSON.stringify({ table: spec.name, row: byColumnName })}\n`;
    }
    await sink.write(text);
    count += page.length;
    if (page.length < PAGE_ROWS) return count;
    const lastRow = page[page.length - 1]!;
    last = spec.keyColumns.map((column) => lastRow[spec.columns.get(column.name)!.property]);
  }
}

/** Rows whose key sorts after `last`: (a > x) or (a = x and b > y) for a two-column key. */
function after(spec: TableSpec, last: unknown[]): SQL {
  const columns = spec.keyColumns;
  const branches = columns.map((column, index) => and(...columns.slice(0, index).map((before, at) => eq(before, last[at])), gt(column, last[index])));
  return or(...branches)!;
}

async function fileSink(path: string): Promise<Sink> {
  let handle: FileHandle;
  try {
    // 0600: password hashes, TOTP secrets and file tokens. chmod as well: an existing file keeps its mode on open.
    handle = await open(path, "w", 0o600);
    await handle.chmod(0o600);
  } catch (error) {
    throw new Error(`cannot write ${path}: ${(error as Error).message}`);
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.sync();
    await handle.close();
  };
  return {
    write: async (text) => void (await handle.write(text)),
    close,
    abort: async () => {
      await close().catch(() => {});
      await rm(path, { force: true });
    },
  };
}

function stdoutSink(): Sink {
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      // The callback runs once the text is handed on: waiting for it keeps a slow reader from filling memory.
      process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
    });
  return { write, close: async () => {}, abort: async () => {} };
}
