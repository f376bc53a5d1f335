// What storage reports as it works, for the operator's metrics (GET /metrics, src/metrics.ts). A port: storage says
// what happened, the composition counts it. Cheap, synchronous, never throws; no key or file name is passed.

export type TransformCacheResult = "hit" | "miss";

export interface StorageObservations {
  /** A file was stored: its size. */
  uploaded(bytes: number): void;
  /** A file's bytes (or a range of them) were handed to an answer as its body. */
  served(bytes: number): void;
  /** An image transform was answered from an already made variant (hit) or made one (miss). */
  transform(result: TransformCacheResult): void;
  /** A blob store operation failed (disk or S3): not a missing file, an error. */
  blobStoreError(): void;
}

export const noStorageObservations: StorageObservations = {
  uploaded() {},
  served() {},
  transform() {},
  blobStoreError() {},
};
