// What the admin console does with stored files (apis/console/files.ts is its API): browse folders a page at a time,
// a thumbnail of an image, a download, a delete, a new token, and the storage used per top folder. The console's
// guard has already proved an administrator, so the access rules (STORAGE_RULES) are not asked: an administrator
// sees every file, a disabled account's too. Each operation goes through the same pieces a request to HBP's storage
// routes does: the `files` rows, the blob store, the removal (row, bytes, variants) and the image variants made by
// storage.variant() and kept in the transform cache, so a thumbnail the console asked for is the cached `?w=` variant.
import type { FilesRepository, StoredFile } from "../db/repositories/files.ts";
import type { Clock } from "../lib/clock.ts";
import type { Random } from "../lib/random.ts";
import type { BlobStore, OpenedBlob } from "./blob-store.ts";
import { StorageError } from "./errors.ts";
import type { FileRemoval } from "./file-removal.ts";
import { DEFAULT_QUALITY } from "./images/params.ts";
import type { Variant } from "./images/variants.ts";
import { parseStoragePath } from "./paths.ts";
import { toFileMetadata, type FileMetadata } from "./file-metadata.ts";
import type { Storage } from "./storage.ts";

/** One entry of a folder: a subfolder (its key ends with `/`) or a file. */
export type FolderEntry = { kind: "folder"; key: string } | { kind: "file"; file: AdministeredFile };

export interface AdministeredFile extends FileMetadata {
  ownerId: string | null;
  createdAtMs: number;
}

export interface FolderUsage {
  /** A top folder's key (`public/`), or "" for the files at the top level. */
  folder: string;
  files: number;
  bytes: number;
}

export interface FileAdministration {
  /**
   * The subfolders and files directly in `folder` ("" for the top, else a key ending in `/`), in key order, a page
   * at a time: `cursor` is the `next` of the page before. `invalid_path` for a bad folder, `invalid_cursor`.
   */
  browse(folder: string, cursor: string | null, limit: number): Promise<{ entries: FolderEntry[]; next: string | null }>;
  /** Files and bytes under each top folder (the first `limit` of them, in key order), and at the top level. */
  usage(limit: number): Promise<{ folders: FolderUsage[]; truncated: boolean; total: { files: number; bytes: number } }>;
  /** A file opened for download (the caller streams or closes `blob`). `not_found`. */
  open(key: string): Promise<{ file: AdministeredFile; blob: OpenedBlob }>;
  /**
   * A thumbnail `width` pixels wide (its height in proportion, as HBP's `?w=`), made once on a worker and then read from the
   * transform cache. `not_found`, `unsupported_image`, `corrupt_image`, `image_too_large`, `transform_busy`.
   */
  thumbnail(key: string, width: number, accept: string | null): Promise<{ variant: Variant; blob: OpenedBlob }>;
  /** Deletes the file (its row, then its bytes, then its variants); answers what it was. `not_found`. */
  delete(key: string): Promise<AdministeredFile>;
  /** Gives the file a new token: links carrying the old `?token=` stop working. `not_found`. */
  revokeToken(key: string): Promise<AdministeredFile>;
}

/** A cursor: the last entry of a page (a folder's key ends with `/`: the next page starts past all of it). */
interface BrowsePosition {
  after: string;
}

/** Rows read per query while browsing; a subfolder costs one more query (a jump past it on the key index). */
const BATCH = 100;

export function encodeBrowseCursor(position: BrowsePosition): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

function decodeBrowseCursor(cursor: string, folder: string): BrowsePosition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new StorageError("invalid_cursor");
  }
  const after = (value as { after?: unknown } | null)?.after;
  // A cursor of another folder would page that folder's range: refused.
  if (typeof after !== "string" || after.length > 2048 || !after.startsWith(folder) || after === folder || Object.keys(value as object).length !== 1) {
    throw new StorageError("invalid_cursor");
  }
  return { after };
}

/** The key that sorts after every key under the folder `prefix` (ending in `/`): `/` + 1 is `0`. */
const pastFolder = (prefix: string) => `${prefix.slice(0, -1)}0`;

/** Where to read on after an entry: past a whole subfolder, or after a file's key. */
const boundAfter = (key: string) => (key.endsWith("/") ? { key: pastFolder(key), inclusive: true } : { key, inclusive: false });

function administered(row: StoredFile): AdministeredFile {
  return { ...toFileMetadata(row), ownerId: row.ownerId, createdAtMs: row.createdAt };
}

export function createFileAdministration(deps: {
  records: FilesRepository;
  blobs: BlobStore;
  removal: FileRemoval;
  storage: Pick<Storage, "variant">;
  clock: Clock;
  random: Random;
}): FileAdministration {
  const { records, blobs, removal, storage, clock, random } = deps;

  function checkFolder(folder: string): void {
    if (folder === "") return;
    const path = parseStoragePath(encodeURIComponent(folder));
    if (!path.isFolder) throw new StorageError("invalid_path", "a folder's key ends with /");
  }

  async function row(key: string): Promise<StoredFile> {
    // A key as stored (decoded once already): encoded again, so that the check decodes it to itself.
    if (parseStoragePath(encodeURIComponent(key)).isFolder) throw new StorageError("invalid_path", "a file's key does not end with /");
    const found = await records.get(key);
    if (!found) throw new StorageError("not_found");
    return found;
  }

  async function opened(key: string): Promise<{ file: StoredFile; blob: OpenedBlob }> {
    const file = await row(key);
    const blob = await blobs.open(key);
    if (!blob) throw new StorageError("not_found");
    return { file, blob };
  }

  return {
    async browse(folder, cursor, limit) {
      checkFolder(folder);
      const entries: FolderEntry[] = [];
      let from = cursor === null ? null : boundAfter(decodeBrowseCursor(cursor, folder).after);
      let more = true;
      // Reads on in key order; each subfolder met is one entry, and the next read jumps past everything in it.
      while (entries.length < limit + 1 && more) {
        const rows = await records.pageFrom(folder, from, BATCH);
        more = rows.length === BATCH;
        for (const file of rows) {
          const rest = file.key.slice(folder.length);
          const slash = rest.indexOf("/");
          if (slash === -1) {
            entries.push({ kind: "file", file: administered(file) });
            from = boundAfter(file.key);
            if (entries.length > limit) break;
            continue;
          }
          const subfolder = `${folder}${rest.slice(0, slash + 1)}`;
          entries.push({ kind: "folder", key: subfolder });
          from = boundAfter(subfolder);
          more = true;
          break;
        }
      }
      const page = entries.slice(0, limit);
      const last = page.at(-1);
      const next = entries.length > limit && last ? encodeBrowseCursor({ after: last.kind === "folder" ? last.key : last.file.key }) : null;
      return { entries: page, next };
    },

    async usage(limit) {
      const folders: FolderUsage[] = [];
      let from: { key: string; inclusive: boolean } | null = null;
      let truncated = false;
      // A jump from one top folder to the next on the key index (files at the top level are read past in batches).
      for (;;) {
        const rows = await records.pageFrom("", from, BATCH);
        const nested = rows.find((file) => file.key.includes("/"));
        if (!nested) {
          if (rows.length < BATCH) break;
          from = { key: rows[rows.length - 1]!.key, inclusive: false };
          continue;
        }
        if (folders.length === limit) {
          truncated = true;
          break;
        }
        const folder = nested.key.slice(0, nested.key.indexOf("/") + 1);
        const totals = await records.totals(folder);
        folders.push({ folder, files: totals.count, bytes: totals.bytes });
        from = boundAfter(folder);
      }
      const all = await records.totals("");
      if (!truncated) {
        const nestedFiles = folders.reduce((sum, folder) => sum + folder.files, 0);
        const nestedBytes = folders.reduce((sum, folder) => sum + folder.bytes, 0);
        if (all.count > nestedFiles) folders.unshift({ folder: "", files: all.count - nestedFiles, bytes: all.bytes - nestedBytes });
      }
      return { folders, truncated, total: { files: all.count, bytes: all.bytes } };
    },

    async open(key) {
      const { file, blob } = await opened(key);
      return { file: administered(file), blob };
    },

    async thumbnail(key, width, accept) {
      const { file, blob } = await opened(key);
      // The same call as HBP's GET /storage/o/<key>?w=<width>, so the variant is that one, from the same cache.
      return storage.variant(
        { file, metadata: toFileMetadata(file), blob, publicToQuery: false },
        { width, height: 0, quality: DEFAULT_QUALITY, format: null, radius: null, blur: null },
        accept,
      );
    },

    async delete(key) {
      const file = await row(key);
      await removal.remove(key);
      return administered(file);
    },

    async revokeToken(key) {
      await row(key);
      const updated = await records.withKeyLock(key, () => records.setToken(key, random.uuid(), clock.now()));
      if (!updated) throw new StorageError("not_found");
      return administered(updated);
    },
  };
}
