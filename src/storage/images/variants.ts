// Transformed images, cached on disk so a repeat request is served like a static file. A variant's key holds a
// digest of the file key (so all variants of a file can be removed with it) and a digest of the file's ETag plus
// the transform (so an overwritten file never serves a stale variant, even before the cleanup ran).
import { createHash } from "node:crypto";
import type { BlobStore, OpenedBlob } from "../blob-store.ts";
import { StorageError } from "../errors.ts";
import { specKey, type TransformSpec } from "./params.ts";
import { TransformError } from "./transform-result.ts";
import type { TransformPool } from "./pool.ts";
import { CONTENT_TYPES } from "./probe.ts";

/** Bump when the pipeline's output changes, so old cached variants are not served for new requests. */
const PIPELINE_VERSION = "2";

export interface Variant {
  /** Key in the variant store. */
  key: string;
  /** Strong ETag of the variant, quoted. */
  etag: string;
  contentType: string;
}

export interface Variants {
  /** Where the variant of `file` for `spec` is (or would be) kept; nothing is read or made. */
  describe(file: { key: string; etag: string }, spec: TransformSpec): Variant;
  /** The cached variant of `file` for `spec`, made now (on a worker) if needed. */
  get(file: { key: string; etag: string }, spec: TransformSpec, readInput: () => Promise<Uint8Array>): Promise<Variant>;
  open(variant: Variant): Promise<OpenedBlob | null>;
  /** Removes every variant of a file (on overwrite and delete). */
  removeFor(fileKey: string): Promise<void>;
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function folderOf(fileKey: string): string {
  return `${digest(fileKey)}/`;
}

/** Removes every variant of a file from the variant store (needs no transform workers: the CLI uses it too). */
export async function removeVariantsOf(store: BlobStore, fileKey: string): Promise<void> {
  for await (const blob of store.list(folderOf(fileKey))) await store.delete(blob.key);
}

export function createVariants(deps: { store: BlobStore; pool: TransformPool; maxPixels: number }): Variants {
  const { store, pool, maxPixels } = deps;
  // Concurrent requests for one variant share one transform.
  const inFlight = new Map<string, Promise<Variant>>();

  async function make(variant: Variant, spec: TransformSpec, readInput: () => Promise<Uint8Array>): Promise<Variant> {
    if (await store.stat(variant.key)) return variant;
    let output;
    try {
      output = await pool.run(readInput, spec, { maxPixels });
    } catch (error) {
      if (error instanceof TransformError) throw new StorageError(error.code, error.message);
      throw error;
    }
    await store.put(variant.key, [output.bytes], { maxBytes: Number.MAX_SAFE_INTEGER });
    return variant;
  }

  function describe(file: { key: string; etag: string }, spec: TransformSpec): Variant {
    const name = digest(`${PIPELINE_VERSION}|${file.etag}|${specKey(spec)}`).slice(0, 40);
    return {
      key: `${folderOf(file.key)}${name}.${spec.format === "jpeg" ? "jpg" : spec.format}`,
      etag: `"${name}"`,
      contentType: CONTENT_TYPES[spec.format],
    };
  }

  return {
    describe,

    get(file, spec, readInput) {
      const variant = describe(file, spec);
      let pending = inFlight.get(variant.key);
      if (!pending) {
        pending = make(variant, spec, readInput).finally(() => inFlight.delete(variant.key));
        inFlight.set(variant.key, pending);
      }
      return pending;
    },

    open(variant) {
      return store.open(variant.key);
    },

    removeFor(fileKey) {
      return removeVariantsOf(store, fileKey);
    },
  };
}
