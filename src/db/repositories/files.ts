// The `files` table of storage (storage/storage.ts): one row per stored file, holding what the blob store does not
// (content type, ETag, the per-file token, the owner). Folder listings read it in key order, a page at a time.
//
// Each row is read with its owner's state (a subquery on the owner's primary key, in the same statement): a disabled
// account's files are served to nobody (readable-files.ts), and that costs no query of its own per file. A subquery, not a
// LEFT JOIN: on bun:sqlite the join made a file's lookup ~7x slower (bench/README.md, "Hot path").
import { and, asc, eq, getTableColumns, gt, gte, lt, sql, type SQL } from "drizzle-orm";
import type { Database, Tables } from "../database.ts";
import type { FileRow } from "../schema.ts";
import { accountStateLookup, accountStateOf, type AccountState } from "./users.ts";

/** A file's row and whether its owner's account is disabled (null: the file has no owner). */
export interface StoredFile extends FileRow {
  ownerDisabled: boolean | null;
}

/** What a read of a file's metadata needs of its row: all but the owner's id and the creation time. */
export type FileToRead = Pick<StoredFile, "key" | "size" | "contentType" | "etag" | "token" | "updatedAt" | "ownerDisabled">;

export interface FilesRepository {
  /**
   * Runs `action` holding the lock of one file key, on every instance (src/db/database.ts withLock): writes to a key
   * (its bytes and its row, a delete, a new token) run one at a time, so the row always describes the bytes.
   */
  withKeyLock<T>(key: string, action: () => Promise<T>): Promise<T>;
  /** The row of `key` with its owner's state, or null. */
  get(key: string): Promise<StoredFile | null>;
  /**
   * get()'s columns of a file's metadata (FileToRead) and the state of the account `accountId` (a signed-in
   * caller's; null when there is no such account), as they are now: one statement when the file exists, a second
   * for the state when it does not. The file's row also carries `accountState`.
   */
  getWithAccountState(key: string, accountId: string): Promise<{ file: FileToRead | null; accountState: AccountState | null }>;
  /** Inserts or replaces the row of `row.key` (created_at is kept on replace); answers it as get() does. */
  upsert(row: Omit<FileRow, "createdAt">): Promise<StoredFile>;
  /** Gives the file a new token; answers the row as get() does (null: no such file). */
  setToken(key: string, token: string, updatedAt: number): Promise<StoredFile | null>;
  /** Deletes the row; false when there was none. */
  delete(key: string): Promise<boolean>;
  /** Up to `limit` keys of files `ownerId` owns (by the owner's index), in key order. */
  keysOwnedBy(ownerId: string, limit: number): Promise<string[]>;
  /** Up to `limit` rows under `folder` with keys after `afterKey`, in key order. */
  page(folder: string, afterKey: string | null, limit: number): Promise<StoredFile[]>;
  /**
   * Up to `limit` rows under `folder` from `from` on, in key order: keys after `from.key`, or from it on when
   * `inclusive` (the console's folder browser jumps past a subfolder this way: `a/b/` ends before `a/b0`).
   */
  pageFrom(folder: string, from: { key: string; inclusive: boolean } | null, limit: number): Promise<StoredFile[]>;
  /** How many files lie under `folder` and their total size. */
  totals(folder: string): Promise<{ count: number; bytes: number }>;
}

/** Rows under a folder key (`user/42/`, or "" for all): a range on the primary key, so the index does the work. */
function underFolder(files: Tables["files"], folder: string): SQL | undefined {
  if (folder === "") return undefined;
  // Folder keys end with "/"; every key starting with it sorts before the same text ending with "0" ("/" + 1).
  return and(gte(files.key, folder), lt(files.key, `${folder.slice(0, -1)}0`));
}

export function createFilesRepository(db: Database): FilesRepository {
  const { files, users } = db.tables;
  // null when the file has no owner (or the owner's row is gone), as the join gave.
  const ownerDisabled = sql<boolean | null>`(SELECT ${users.disabled} FROM ${users} WHERE ${users.id} = ${files.ownerId})`.mapWith(users.disabled);
  const withOwnerState = () => db.select({ ...getTableColumns(files), ownerDisabled }).from(files);
  // Every download reads its row: one compiled statement (drizzle otherwise rebuilds the SQL each time).
  const selectByKey = db.lookup(withOwnerState().where(eq(files.key, sql.placeholder("key"))));
  // A signed-in read of a file: its row and the caller's state in one statement (the state from a scalar subquery on
  // the account's primary key, as the owner's), so the read and the caller gate's input cost one lookup.
  const selectWithAccountState = db.lookup(
    db
      .select({
        accountState: accountStateOf(db, sql.placeholder("also")),
        // The columns a metadata answer is made of: each column read is a value made in JS.
        key: files.key,
        size: files.size,
        contentType: files.contentType,
        etag: files.etag,
        token: files.token,
        updatedAt: files.updatedAt,
        ownerDisabled,
      })
      .from(files)
      .where(eq(files.key, sql.placeholder("key"))),
  );
  // Without the file's row, the state alone (a read of a file that is not there).
  const selectAccountState = accountStateLookup(db);
  return {
    withKeyLock(key, action) {
      return db.withLock(`file:${key}`, action);
    },

    get: selectByKey,

    async getWithAccountState(key, accountId) {
      const found = await selectWithAccountState(key, accountId);
      if (found === null) return { file: null, accountState: await selectAccountState(accountId) };
      // The row itself as the file (it carries accountState besides): a copy without it was a share of the read.
      return { file: found, accountState: found.accountState };
    },

    async upsert(row) {
      await db
        .insert(files)
        .values({ ...row, createdAt: row.updatedAt })
        .onConflictDoUpdate({
          target: files.key,
          set: { size: row.size, contentType: row.contentType, etag: row.etag, token: row.token, ownerId: row.ownerId, updatedAt: row.updatedAt },
        });
      return (await this.get(row.key))!;
    },

    async setToken(key, token, updatedAt) {
      await db.update(files).set({ token, updatedAt }).where(eq(files.key, key));
      return this.get(key);
    },

    async delete(key) {
      const deleted = await db.delete(files).where(eq(files.key, key)).returning({ key: files.key });
      return deleted.length > 0;
    },

    async keysOwnedBy(ownerId, limit) {
      const rows = await db.select({ key: files.key }).from(files).where(eq(files.ownerId, ownerId)).orderBy(asc(files.key)).limit(limit);
      return rows.map((row) => row.key);
    },

    async page(folder, afterKey, limit) {
      const conditions = [underFolder(files, folder), afterKey === null ? undefined : gt(files.key, afterKey)].filter(Boolean) as SQL[];
      return withOwnerState()
        .where(conditions.length > 0 ? and(...conditions) : undefined)
        .orderBy(asc(files.key))
        .limit(limit);
    },

    async pageFrom(folder, from, limit) {
      const bound = from === null ? undefined : from.inclusive ? gte(files.key, from.key) : gt(files.key, from.key);
      const conditions = [underFolder(files, folder), bound].filter(Boolean) as SQL[];
      return withOwnerState()
        .where(conditions.length > 0 ? and(...conditions) : undefined)
        .orderBy(asc(files.key))
        .limit(limit);
    },

    async totals(folder) {
      // Numbers come back as text from PostgreSQL (count and sum are bigint/numeric there): Number() below.
      const [row] = await db
        .select({ count: sql<number>`count(*)`, bytes: sql<number>`coalesce(sum(${files.size}), 0)` })
        .from(files)
        .where(underFolder(files, folder));
      return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
    },
  };
}
