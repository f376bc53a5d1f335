// A blob store that reports its failures (storage/observations.ts: latchkey_blob_store_errors_total), around either
// driver. Counted: opening, inspecting, deleting, listing, committing and writing image variants, which fail only
// when the disk or the bucket does. Not counted: staging an upload, whose failures are mostly the client's (a body
// too large, a connection cut mid-upload) and are answered as such.
import type { BlobStore, ByteRange, OpenedBlob, StagedBlob } from "./blob-store.ts";
import type { StorageObservations } from "./observations.ts";

export function observedBlobStore(store: BlobStore, observations: Pick<StorageObservations, "blobStoreError">): BlobStore {
  async function counted<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      observations.blobStoreError();
      throw error;
    }
  }
  const observedStaged = (staged: StagedBlob): StagedBlob => ({
    get size() {
      return staged.size;
    },
    get md5Hex() {
      return staged.md5Hex;
    },
    commit: () => counted(staged.commit()),
    discard: () => staged.discard(),
  });
  return {
    stage: async (key, source, options) => observedStaged(await store.stage(key, source, options)),
    put: (key, source, options) => counted(store.put(key, source, options)),
    open: (key) => counted(store.open(key)),
    stat: (key) => counted(store.stat(key)),
    delete: (key) => counted(store.delete(key)),
    async *list(prefix) {
      try {
        yield* store.list(prefix);
      } catch (error) {
        observations.blobStoreError();
        throw error;
      }
    },
  };
}

/**
 * `blob`, counting what it hands to an answer as its body (storage/observations.ts: latchkey_download_bytes_total):
 * the range's length or the whole size, when the body is made (a client that hangs up early is counted in full).
 */
export function servedBlob(blob: OpenedBlob, observations: Pick<StorageObservations, "served">): OpenedBlob {
  const length = (range?: ByteRange) => (range ? range.end - range.start + 1 : blob.size);
  return {
    get size() {
      return blob.size;
    },
    get modifiedAtMs() {
      return blob.modifiedAtMs;
    },
    read: (range) => blob.read(range),
    // Streams are read by storage itself (an image's input, a zip's entries), not handed to an answer as they are.
    stream: (range) => blob.stream(range),
    async body(range) {
      const body = await blob.body(range);
      observations.served(length(range));
      return body;
    },
    close: () => blob.close(),
  };
}
