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
  const countedFailure = (error: unknown): never => {
    observations.blobStoreError();
    throw error;
  };
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
    // Every download opens its blob: a rejection handler, not an async wrapper (one promise less to make and collect).
    open: (key) => store.open(key).catch(countedFailure),
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
  return new ServedBlob(blob, observations);
}

/** A class, not an object of closures: every download makes one (bench/README.md, "Bytes paths"). */
class ServedBlob implements OpenedBlob {
  constructor(
    private readonly blob: OpenedBlob,
    private readonly observations: Pick<StorageObservations, "served">,
  ) {}

  get size(): number {
    return this.blob.size;
  }

  get modifiedAtMs(): number {
    return this.blob.modifiedAtMs;
  }

  read(range: ByteRange): Promise<Uint8Array> {
    return this.blob.read(range);
  }

  // Streams are read by storage itself (an image's input, a zip's entries), not handed to an answer as they are.
  stream(range?: ByteRange): ReadableStream<Uint8Array> {
    return this.blob.stream(range);
  }

  async body(range?: ByteRange): Promise<Blob | ReadableStream<Uint8Array>> {
    const body = await this.blob.body(range);
    this.observations.served(range ? range.end - range.start + 1 : this.blob.size);
    return body;
  }

  close(): Promise<void> {
    return this.blob.close();
  }
}
