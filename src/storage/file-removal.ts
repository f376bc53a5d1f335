// Removing stored files: one file (DELETE /storage/o/<key>, an upload that cannot keep its row), or every file an
// account owns when the account is deleted (core's OwnedData port, core/accounts/owned-data.ts).
//
// The order, everywhere: under the key's lock, the row first, then the bytes; the image variants last. A crash after
// the row leaves bytes that no row refers to (invisible, and replaced by the next upload to the key), never a row
// without its bytes. Variants are a cache named by the file's key and ETag: one left behind is never served.
import type { OwnedData } from "../core/accounts/owned-data.ts";
import type { Logger } from "../lib/logger.ts";
import type { BlobStore } from "./blob-store.ts";
import type { FilesRepository } from "../db/repositories/files.ts";
import type { Variants } from "./images/variants.ts";

/** Keys read at a time when an account's files are removed: the memory a deletion holds, whatever it owns. */
const OWNED_PAGE_SIZE = 200;

export interface FileRemoval extends OwnedData {
  /** Removes a file: row, bytes, variants; false when it had no row. Takes the key's lock. */
  remove(key: string): Promise<boolean>;
  /** The same, for a caller that already holds the key's lock (records.withKeyLock); the variants are left to it. */
  removeHoldingLock(key: string): Promise<boolean>;
  /** Removes the variants of a file (a cache: a failure is logged, not raised). */
  removeVariants(key: string): Promise<void>;
}

export function createFileRemoval(deps: {
  records: FilesRepository;
  blobs: BlobStore;
  variants: Pick<Variants, "removeFor">;
  logger: Logger;
}): FileRemoval {
  const { records, blobs, variants, logger } = deps;

  async function removeHoldingLock(key: string): Promise<boolean> {
    const hadRow = await records.delete(key);
    await blobs.delete(key);
    return hadRow;
  }

  async function removeVariants(key: string): Promise<void> {
    await variants.removeFor(key).catch((error: unknown) => logger.warn("could not remove image variants", { key, error }));
  }

  async function remove(key: string): Promise<boolean> {
    const hadRow = await records.withKeyLock(key, () => removeHoldingLock(key));
    await removeVariants(key);
    return hadRow;
  }

  return {
    remove,
    removeHoldingLock,
    removeVariants,

    async removeAllOf(userId) {
      // Each page's files are gone before the next page is read, so the first page is always the next one. The
      // account is disabled by then (users.delete), so no new file of its own can appear behind the pages.
      for (let keys = await records.keysOwnedBy(userId, OWNED_PAGE_SIZE); keys.length > 0; keys = await records.keysOwnedBy(userId, OWNED_PAGE_SIZE)) {
        for (const key of keys) await remove(key);
      }
    },
  };
}
