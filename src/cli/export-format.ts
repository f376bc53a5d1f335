// The file `latchkey export` writes and `latchkey import` reads: JSON Lines, so it streams both ways and any engine
// (or jq) can read it.
//
//   {"latchkey_export":4,"version":"0.1.0","tables":["users","user_roles",...]}    header: format, writer, table order
//   {"table":"users","row":{"id":"...","email":"...","password_hash":"...",...}}    one line per row, tables in order
//   {"end":{"users":12,"user_roles":12,...}}                                       rows per table: the file is whole
//
// Rows are keyed by SQL column name (as in the database, not drizzle's camelCase names): the file does not depend on
// the TypeScript schema. Values are as both engines' rows give them: epoch-ms numbers, booleans, JSON objects, null.
// Without the end line an import refuses the file: an export cut short (disk full, killed) must not load half.
import { getTableColumns, getTableName, isTable, type Column } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Tables } from "../db/client.ts";

/**
 * Bumped when a file of this format could not be read correctly by an older latchkey. 2: a session is one row (with
 * its token's handle), not one row per refresh token. 3: recovery codes of every kind in recovery_codes, with their
 * purpose (backup codes were one_time_codes rows). 4: every ticket and request in challenges (they were in
 * one_time_codes, email_verification_requests and password_reset_requests). 5: provider identities and passkeys
 * (user_identities, webauthn_credentials), and challenges without a user. 6: the console's audit log (audit_log).
 * import.ts still reads formats 1 to 5 (older-exports.ts; a format-5 file simply has no audit_log).
 */
export const EXPORT_FORMAT = 6;

/**
 * The tables moved, parents first: every other table references users (files.owner_id too) or none, and none
 * references another. `key` is the primary key, the order an export pages through the table in.
 */
export const EXPORTED_TABLES: readonly { name: string; key: readonly string[]; replaces?: true }[] = [
  { name: "users", key: ["id"] },
  { name: "user_roles", key: ["user_id", "role"] },
  { name: "sessions", key: ["id"] },
  { name: "challenges", key: ["id"] },
  { name: "totp_credentials", key: ["user_id"] },
  { name: "recovery_codes", key: ["id"] },
  { name: "api_tokens", key: ["token"] },
  { name: "user_identities", key: ["id"] },
  { name: "webauthn_credentials", key: ["id"] },
  { name: "files", key: ["key"] },
  // What administrators did: it must survive a move like the accounts it speaks of (no foreign key: entries outlive them).
  { name: "audit_log", key: ["id"] },
  // The signing keys and cookie secret latchkey generated: tokens and cookies issued before the move stay valid.
  // `replaces`: an instance started on the new database before the import generated its own; the export's win.
  { name: "generated_secrets", key: ["name"], replaces: true },
];

/**
 * Left out on purpose: rate-limit counters only live for their window (minutes), and a move is a fresh start for them;
 * the mail queue holds mails of the last minutes (their tickets are minted when sent, on the new database or not at all);
 * console sessions last hours at most, and an administrator signs in again after a move; security events are a copy of
 * the log's lines kept SECURITY_EVENTS_KEEP_DAYS for the console (the log itself is the record), and an attack's events
 * from the old database say nothing of the new one's guess counters, which start afresh like rate_limits.
 */
export const SKIPPED_TABLES: readonly string[] = ["rate_limits", "mail_queue", "console_sessions", "security_events"];

export interface ExportHeader {
  latchkey_export: number;
  /** The latchkey version that wrote the file (for people; the format number is what is checked). */
  version: string;
  tables: string[];
}

export interface TableSpec {
  name: string;
  table: SQLiteTable;
  /** SQL column name -> drizzle's property name and column. */
  columns: Map<string, { property: string; column: Column }>;
  keyColumns: Column[];
  /** Rows already in the target are replaced by the file's, instead of making the import refuse the database. */
  replaces: boolean;
}

/**
 * The exported tables of this database's dialect, in EXPORTED_TABLES order. Throws when the schema has a table that
 * is neither exported nor skipped: a table added later must be placed in the order here, not silently left out.
 */
export function exportedTables(tables: Tables): TableSpec[] {
  const byName = new Map<string, SQLiteTable>();
  for (const value of Object.values(tables)) if (isTable(value)) byName.set(getTableName(value), value as SQLiteTable);
  const unplaced = [...byName.keys()].filter((name) => !EXPORTED_TABLES.some((spec) => spec.name === name) && !SKIPPED_TABLES.includes(name));
  if (unplaced.length > 0) throw new Error(`export-format.ts does not say where to put the tables ${unplaced.join(", ")}`);

  return EXPORTED_TABLES.map(({ name, key, replaces }) => {
    const table = byName.get(name);
    if (!table) throw new Error(`export-format.ts names the table ${name}, which the schema does not have`);
    const columns = new Map<string, { property: string; column: Column }>();
    for (const [property, column] of Object.entries(getTableColumns(table))) columns.set(column.name, { property, column });
    const keyColumns = key.map((columnName) => {
      const found = columns.get(columnName);
      if (!found) throw new Error(`export-format.ts: ${name} has no key column ${columnName}`);
      return found.column;
    });
    return { name, table, columns, keyColumns, replaces: replaces === true };
  });
}

/** A refusal with the exit code for it: 2 for a file this latchkey cannot read, 1 for a database it must not write. */
export class TransferError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

/** The lines of a byte stream (UTF-8, "\n" or "\r\n"), one at a time: a file of any size in little memory. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let start = 0;
    let newline: number;
    while ((newline = pending.indexOf("\n", start)) >= 0) {
      yield pending.slice(start, newline).replace(/\r$/, "");
      start = newline + 1;
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  if (pending !== "") yield pending.replace(/\r$/, "");
}
