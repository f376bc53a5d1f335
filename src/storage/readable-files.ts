// Which stored files a caller may read (the access rules' `get`), for storage's reads: one file by its key, every
// file under a folder for a listing or a zip, and whether a shared cache may keep what was read.
//
// A disabled account's files are withheld from everyone, by whatever rule (its own token, a public folder, a listing,
// a zip, a transform), until it is enabled again; only the admin secret reaches them. The answer is the 403 of a read
// the rules refuse, so it says nothing about the account. The owner's state comes with the file's row (db/repositories/files.ts).
import type { FileToRead, StoredFile } from "../db/repositories/files.ts";
import type { AccessDecisions } from "./access-decisions.ts";
import type { Access, Caller } from "./access.ts";
import { StorageError } from "./errors.ts";
import { toFileMetadata, type FileMetadata } from "./file-metadata.ts";
import type { Value } from "./rules/expression.ts";
import type { StorageDeps } from "./storage-deps.ts";

const LIST_PAGE_SIZE = 200;

export interface ReadableFiles {
  /** The row of an existing file the caller may read (operation get), with its metadata (what the rules judged). */
  readableWithMetadata(key: string, access: Access): Promise<{ row: StoredFile; metadata: FileMetadata }>;
  /** readableWithMetadata() on the row as read (null: no such file). */
  judgedRead<Row extends FileToRead>(key: string, row: Row | null, access: Access): { row: Row; metadata: FileMetadata };
  /** readableWithMetadata() without the metadata. */
  readable(key: string, access: Access): Promise<StoredFile>;
  /**
   * Whether an anonymous caller could read this file with the same query: Cache-Control public, or private. Only
   * for a file that readable() has just let this caller read, with this `access`.
   */
  publicToQuery(file: StoredFile, access: Access): boolean;
  /** Rows under a folder that the caller may read, a page at a time. */
  readableUnder(folder: string, access: Access): AsyncGenerator<StoredFile>;
}

export function createReadableFiles(deps: Pick<StorageDeps, "records" | "rules"> & { decisions: AccessDecisions }): ReadableFiles {
  const { records, rules } = deps;
  const { isAdmin, ruleRequest, authorize } = deps.decisions;

  /** Whether a file is withheld from this caller because its owner's account is disabled. */
  function withheld(row: Pick<StoredFile, "ownerDisabled">, caller: Caller): boolean {
    return row.ownerDisabled === true && !isAdmin(caller);
  }

  async function readableWithMetadata(key: string, access: Access): Promise<{ row: StoredFile; metadata: FileMetadata }> {
    return judgedRead(key, await records.get(key), access);
  }

  function judgedRead<Row extends FileToRead>(key: string, row: Row | null, access: Access): { row: Row; metadata: FileMetadata } {
    const metadata = row ? toFileMetadata(row) : undefined;
    authorize("get", key, access, metadata as unknown as Value);
    if (!row || !metadata) throw new StorageError("not_found");
    if (withheld(row, access.caller)) throw new StorageError("forbidden");
    return { row, metadata };
  }

  async function readable(key: string, access: Access): Promise<StoredFile> {
    return (await readableWithMetadata(key, access)).row;
  }

  function mayRead(row: StoredFile, access: Access): boolean {
    if (isAdmin(access.caller)) return true;
    if (withheld(row, access.caller)) return false;
    return rules.decide("get", ruleRequest(row.key, { ...access, method: "GET" }), toFileMetadata(row) as unknown as Value) === "allow";
  }

  function publicToQuery(file: StoredFile, access: Access): boolean {
    if (file.ownerDisabled === true) return false; // the admin secret reads it; no shared cache may keep it for others
    // An anonymous caller (no JWT, no admin secret) was just allowed by this very decision: the same path, method,
    // query and row, no auth, and rules are pure expressions. Deciding it again was a tenth of a public download.
    if (access.caller.auth === null && access.caller.adminSecret === null) return true;
    const anonymous = { ...access, caller: { auth: null, adminSecret: null } };
    return rules.decide("get", ruleRequest(file.key, anonymous, null), toFileMetadata(file) as unknown as Value) === "allow";
  }

  async function* readableUnder(folder: string, access: Access): AsyncGenerator<StoredFile> {
    let after: string | null = null;
    for (;;) {
      const page = await records.page(folder, after, LIST_PAGE_SIZE);
      for (const row of page) if (mayRead(row, access)) yield row;
      if (page.length < LIST_PAGE_SIZE) return;
      after = page[page.length - 1]!.key;
    }
  }

  return { readableWithMetadata, judgedRead, readable, publicToQuery, readableUnder };
}
