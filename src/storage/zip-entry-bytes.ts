// The bytes of one zip entry, read from the blob store as the zip reaches it. The listing that named the file came
// first, so by then the file may have been overwritten or deleted (another request, another instance). On S3 a read
// is a HEAD and then a GET of exactly that version, so an overwrite between the two fails the read (BlobChangedError)
// before a byte of the entry went out: then the file is opened again, as it is now, a few times at most, and a file
// deleted meanwhile is left out. A change once the entry's bytes are going out still fails the zip, as it fails a
// download: an entry cannot be taken back, and mixing two versions would be worse.
import { BlobChangedError, type BlobStore } from "./blob-store.ts";

/** Opens after a change before the first byte; a file rewritten faster than this is read is given up on. */
const REOPENS = 3;

export async function zipEntryBytes(blobs: Pick<BlobStore, "open">, key: string): Promise<AsyncIterable<Uint8Array> | null> {
  for (let reopened = 0; ; reopened++) {
    const blob = await blobs.open(key);
    if (!blob) return null;
    const pieces = blob.stream()[Symbol.asyncIterator]();
    let first: IteratorResult<Uint8Array>;
    try {
      first = await pieces.next();
    } catch (error) {
      await blob.close();
      if (error instanceof BlobChangedError && reopened < REOPENS) continue;
      throw error;
    }
    return (async function* () {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await pieces.next(); !next.done; next = await pieces.next()) yield next.value;
      } finally {
        await pieces.return?.().catch(() => {});
        await blob.close();
      }
    })();
  }
}
