// Transformed images, cached on disk so a repeat request is served like a static file. A variant's key holds a
// digest of the file key (so all variants of a file can be removed with it) and a digest of the file's ETag plus
// the transform (so an overwritten file never serves a stale variant, even before the cleanup ran).
// The cache holds at most TRANSFORM_CACHE_MAX bytes, least recently used out: each server keeps the variants' sizes
// in use order (built from the store's listing at start-up, oldest modified first), and every variant made beyond
// the bound deletes the least recently made or served ones until the rest fits. The one just made stays even when
// it alone is larger (it is about to be served); one being made is never deleted. Servers sharing one bucket each
// keep their own order, so the bound holds per server's view; a variant deleted by another is made again.
import { createHash } from "node:crypto";
import { boundedMemo } from "../../lib/bounded-memo.ts";
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
  /** The variant's bytes, null when it is not (or no longer) cached; a hit counts as a use for the cache's order. */
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

export function createVariants(deps: { store: BlobStore; pool: TransformPool; maxPixels: number; maxCacheBytes: number }): Variants {
  const { store, pool, maxPixels, maxCacheBytes } = deps;
  // Concurrent requests for one variant share one transform.
  const inFlight = new Map<string, Promise<Variant>>();
  // Sizes of the cached variants, least recently used first (a Map keeps insertion order; a use re-inserts).
  const cached = new Map<string, number>();
  let cachedBytes = 0;
  // What was cached before this start, read once in the background; eviction waits for it.
  const listed = (async () => {
    const found: { key: string; size: number; modifiedAtMs: number }[] = [];
    for await (const blob of store.list("")) found.push(blob);
    found.sort((a, b) => a.modifiedAtMs - b.modifiedAtMs);
    // Uses since start-up are newer than anything listed: they stay at the end.
    const sinceStart = [...cached];
    cached.clear();
    cachedBytes = 0;
    for (const blob of found) used(blob.key, blob.size);
    for (const [key, size] of sinceStart) used(key, size);
  })().catch(() => {
    // Listing failed (the store unreachable): the order is what this server makes and serves from now on.
  });

  function used(key: string, size: number): void {
    const known = cached.get(key);
    if (known !== undefined) {
      cached.delete(key);
      cachedBytes -= known;
    }
    cached.set(key, size);
    cachedBytes += size;
  }

  function forget(key: string): void {
    const known = cached.get(key);
    if (known === undefined) return;
    cached.delete(key);
    cachedBytes -= known;
  }

  /** Deletes the least recently used variants until the cache fits its bound, `keep` (just made) aside. */
  async function evict(keep: string): Promise<void> {
    await listed;
    const victims: string[] = [];
    for (const [key, size] of cached) {
      if (cachedBytes <= maxCacheBytes) break;
      if (key === keep || inFlight.has(key)) continue;
      victims.push(key);
      cached.delete(key);
      cachedBytes -= size;
    }
    for (const key of victims) await store.delete(key);
  }

  async function make(variant: Variant, spec: TransformSpec, readInput: () => Promise<Uint8Array>): Promise<Variant> {
    const existing = await store.stat(variant.key);
    if (existing) {
      used(variant.key, existing.size);
      return variant;
    }
    let output;
    try {
      output = await pool.run(readInput, spec, { maxPixels });
    } catch (error) {
      if (error instanceof TransformError) throw new StorageError(error.code, error.message);
      throw error;
    }
    await store.put(variant.key, [output.bytes], { maxBytes: Number.MAX_SAFE_INTEGER });
    used(variant.key, output.bytes.byteLength);
    await evict(variant.key);
    return variant;
  }

  // A variant's name, by what names it: two SHA-256 digests made anew were a tenth of a repeat transform's answer
  // (bench/README.md, "Bytes paths"), which asks for the same few variants again and again.
  const named = boundedMemo<Readonly<Variant>>({ size: 2000, maxKeyLength: 4096 });

  function describe(file: { key: string; etag: string }, spec: TransformSpec): Variant {
    const naming = `${PIPELINE_VERSION}|${file.etag}|${specKey(spec)}`;
    // A key has no control characters (paths.ts), so NUL keeps the file's key apart from what names the variant.
    return named(`${file.key}\u0000${naming}`, () => {
      const name = digest(naming).slice(0, 40);
      return Object.freeze({
        key: `${folderOf(file.key)}${name}.${spec.format === "jpeg" ? "jpg" : spec.format}`,
        etag: `"${name}"`,
        contentType: CONTENT_TYPES[spec.format],
      });
    });
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

    async open(variant) {
      const blob = await store.open(variant.key);
      if (blob) used(variant.key, blob.size);
      else forget(variant.key);
      return blob;
    },

    async removeFor(fileKey) {
      await removeVariantsOf(store, fileKey);
      const folder = folderOf(fileKey);
      for (const key of [...cached.keys()]) if (key.startsWith(folder)) forget(key);
    },
  };
}
