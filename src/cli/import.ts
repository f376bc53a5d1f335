// `latchkey import [file]`: loads a `latchkey export` file (export-format.ts) into an empty database, e.g. a new
// PostgreSQL database for several instances. The file is read line by line and inserted in batches.
import { ConfigError } from "../lib/errors.ts";
import { openDatabase, type DatabaseLocation, type Transaction } from "../db/client.ts";
import { EXPORT_FORMAT, EXPORTED_TABLES, exportedTables, readLines, TransferError, type TableSpec } from "./export-format.ts";
import { currentTables, isFormerTable, rowUpgrader, type ImportedRow, type RowUpgrader } from "./older-exports.ts";

export const IMPORT_HELP = `latchkey import [file]             load an export (file, or stdin without one or with "-") into an empty
                                   database, e.g. with DATABASE_URL=postgres://...; all or nothing. The file
                                   bytes are not in it: copy <DATA_DIR>/storage/objects/ to the new DATA_DIR's
                                   storage/objects/, or to <prefix>/objects/ in the STORAGE_URL bucket`;

/** Rows per INSERT: far below both engines' parameter limits (SQLite 32766, PostgreSQL 65535) at 17 columns a row. */
const BATCH_ROWS = 500;

/** Runs the command; returns the process exit code. */
export async function importCommand(location: DatabaseLocation, args: string[]): Promise<number> {
  if (args.length > 1) {
    console.error(`latchkey: usage:\n${IMPORT_HELP}`);
    return 2;
  }
  const source = args[0] === undefined || args[0] === "-" ? null : args[0];
  const name = source ?? "stdin";
  const input = source === null ? Bun.stdin : Bun.file(source);
  if (source !== null && !(await input.exists())) {
    console.error(`latchkey: cannot read ${source}: no such file`);
    return 2;
  }
  const lines = readLines(input.stream())[Symbol.asyncIterator]();

  try {
    // The header is checked before the database is touched: a wrong file must not even create one.
    const first = await lines.next();
    const { format, tables: header } = parseHeader(first.done ? "" : first.value, name);
    const unknown = header.filter((table) => !EXPORTED_TABLES.some((spec) => spec.name === table) && !isFormerTable(format, table));
    if (unknown.length > 0) throw new TransferError(`${name} has tables this latchkey does not import: ${unknown.join(", ")} (written by a newer latchkey?)`, 2);
    const database = await openDatabase(location);
    try {
      await database.migrate();
      const specs = exportedTables(database.db.tables);
      const included = currentTables(format, header).map((tableName) => specs.find((spec) => spec.name === tableName)!);
      // One transaction for the whole file, not one per table: a failure half-way (a bad row, a cut file) leaves the
      // database empty, so the import can simply be run again, where a half-loaded one would be refused as not empty.
      const counts = await database.db.transaction((tx) => loadRows(tx, { fileTables: header, specs: included }, lines, rowUpgrader(format)));
      for (const spec of included) console.log(`${spec.name}: ${counts.get(spec.name) ?? 0}`);
      console.log(`imported ${name} into ${database.description}`);
      if ((counts.get("files") ?? 0) > 0) console.log("the files' bytes are not in the export: copy them as `latchkey --help` says");
      return 0;
    } finally {
      await database.close();
    }
  } catch (error) {
    if (error instanceof TransferError) {
      console.error(`latchkey: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      console.error(`latchkey: ${error.message}`);
      return 2;
    }
    console.error(`latchkey: import failed, nothing was imported: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/** The header's table list; refuses anything that is not an export this latchkey can read. */
function parseHeader(line: string, name: string): { format: number; tables: string[] } {
  let header: unknown;
  try {
    header = JSON.parse(line);
  } catch {
    header = null;
  }
  const format = typeof header === "object" && header !== null ? (header as Record<string, unknown>).latchkey_export : undefined;
  if (typeof format !== "number") throw new TransferError(`${name} is not a latchkey export: its first line is not the {"latchkey_export":...} header`, 2);
  const { version, tables } = header as Record<string, unknown>;
  if (format > EXPORT_FORMAT) {
    throw new TransferError(`${name} is in export format ${format} (latchkey ${String(version)}); this latchkey reads format ${EXPORT_FORMAT}: import it with a newer latchkey`, 2);
  }
  if (!Array.isArray(tables) || !tables.every((table) => typeof table === "string")) {
    throw new TransferError(`${name}: the header has no list of tables`, 2);
  }
  return { format, tables };
}

/**
 * Inserts the rows in batches, checking each line; returns the rows inserted per table. `fileTables`: the file's
 * tables, in its order (an older format's may be gone); `specs`: the tables its rows go into.
 */
async function loadRows(
  tx: Transaction,
  { fileTables, specs }: { fileTables: string[]; specs: TableSpec[] },
  lines: AsyncIterator<string>,
  upgrade: RowUpgrader,
): Promise<Map<string, number>> {
  const nonEmpty = await firstNonEmptyTable(tx, specs.filter((spec) => !spec.replaces));
  if (nonEmpty === "users") throw new TransferError("the target database already has accounts; import needs an empty database", 1);
  if (nonEmpty !== null) throw new TransferError(`the target database already has rows in ${nonEmpty}; import needs an empty database`, 1);

  for (const spec of specs) if (spec.replaces) await tx.delete(spec.table);
  const counts = new Map<string, number>();
  const read = new Map<string, number>(); // the file's rows, which the end line counts: an older format's may not all load
  let current = 0; // index in fileTables of the table being loaded: tables must come in the header's order
  let batch: Record<string, unknown>[] = [];
  let batchStart = 0;
  let ended: Record<string, unknown> | null = null;
  const flush = async () => {
    if (batch.length === 0) return;
    const spec = specs.find((candidate) => candidate.name === fileTables[current])!;
    try {
      await tx.insert(spec.table).values(batch as never);
    } catch (error) {
      throw new Error(`${spec.name} rows on lines ${batchStart}-${batchStart + batch.length - 1}: ${(error as Error).message}`);
    }
    counts.set(spec.name, (counts.get(spec.name) ?? 0) + batch.length);
    batch = [];
  };

  for (let lineNumber = 2; ; lineNumber++) {
    const next = await lines.next();
    if (next.done) break;
    if (next.value.trim() === "") continue;
    if (ended !== null) throw new TransferError(`line ${lineNumber}: text after the end line`, 2);
    const line = parseLine(next.value, lineNumber);
    if ("end" in line) {
      ended = line.end;
      continue;
    }
    const index = fileTables.indexOf(line.table);
    if (index < 0) throw new TransferError(`line ${lineNumber}: table ${line.table} is not in the header`, 2);
    if (index < current) throw new TransferError(`line ${lineNumber}: a ${line.table} row after ${fileTables[current]!} rows (tables must come in the header's order)`, 2);
    if (index > current || batch.length === BATCH_ROWS) {
      await flush();
      current = index;
    }
    read.set(line.table, (read.get(line.table) ?? 0) + 1);
    const upgraded = upgrade(line.table, line.row);
    if (upgraded === null) continue;
    const spec = specs.find((candidate) => candidate.name === line.table);
    if (upgraded.table !== line.table || !spec) {
      // An older format's row whose concept has moved to another table (older-exports.ts): inserted on its own.
      await insertMoved(tx, specs, upgraded, lineNumber, counts);
      continue;
    }
    if (batch.length === 0) batchStart = lineNumber;
    batch.push(toProperties(spec, upgraded.row, lineNumber));
  }
  await flush();

  // Throwing here rolls everything back: a file cut short must not load as if it were whole.
  if (ended === null) throw new TransferError("the file has no end line: it is incomplete (an export cut short?); nothing was imported", 2);
  for (const table of fileTables) {
    const expected = ended[table] ?? 0;
    if (expected !== (read.get(table) ?? 0)) {
      throw new TransferError(`${table}: the end line says ${String(expected)} rows, the file has ${read.get(table) ?? 0}; nothing was imported`, 2);
    }
  }
  return counts;
}

/** Inserts one row into the table it moved to (a table in the file, so its rows are empty or its own). */
async function insertMoved(tx: Transaction, specs: TableSpec[], moved: ImportedRow, lineNumber: number, counts: Map<string, number>): Promise<void> {
  const spec = specs.find((candidate) => candidate.name === moved.table);
  if (!spec) throw new TransferError(`line ${lineNumber}: its row belongs in ${moved.table}, which the header does not list`, 2);
  try {
    await tx.insert(spec.table).values(toProperties(spec, moved.row, lineNumber) as never);
  } catch (error) {
    if (error instanceof TransferError) throw error;
    throw new Error(`${spec.name} row from line ${lineNumber}: ${(error as Error).message}`);
  }
  counts.set(spec.name, (counts.get(spec.name) ?? 0) + 1);
}

/** The first exported table that has a row in the target (null: all empty), users first. */
async function firstNonEmptyTable(tx: Transaction, specs: TableSpec[]): Promise<string | null> {
  for (const spec of specs) {
    const rows = await tx.select().from(spec.table).limit(1);
    if (rows.length > 0) return spec.name;
  }
  return null;
}

type Line = { table: string; row: Record<string, unknown> } | { end: Record<string, unknown> };

function parseLine(text: string, lineNumber: number): Line {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TransferError(`line ${lineNumber} is not JSON`, 2);
  }
  const object = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const isObject = (field: unknown): field is Record<string, unknown> => typeof field === "object" && field !== null && !Array.isArray(field);
  if (isObject(object.end)) return { end: object.end };
  if (typeof object.table === "string" && isObject(object.row)) return { table: object.table, row: object.row };
  throw new TransferError(`line ${lineNumber} is neither {"table":...,"row":{...}} nor the end line`, 2);
}

/** A row keyed by SQL column names, as drizzle wants it (property names); refuses columns the schema lacks. */
function toProperties(spec: TableSpec, row: Record<string, unknown>, lineNumber: number): Record<string, unknown> {
  const unknown = Object.keys(row).filter((name) => !spec.columns.has(name));
  if (unknown.length > 0) {
    throw new TransferError(`line ${lineNumber}: ${spec.name} has no columns ${unknown.join(", ")} in this latchkey (written by a newer latchkey?)`, 2);
  }
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row)) values[spec.columns.get(name)!.property] = value;
  return values;
}
