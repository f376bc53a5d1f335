// Storage's reads, free of HTTP: a file's metadata, its bytes, its image variants (made on a worker, cached), and the
// files under a folder as a listing or a zip. Each is decided by the access rules (readable-files.ts) and throws a
// StorageError when refused. storage.ts composes them with the writes (storage-writes.ts).
import type { FileRow } from "../db/schema.ts";
import type { OpenedBlob } from "./blob-store.ts";
import type { AccessDecisions } from "./access-decisions.ts";
import type { Access, Caller, UncheckedAuth } from "./access.ts";
import { StorageError } from "./errors.ts";
import { toFileMetadata, type FileMetadata } from "./file-metadata.ts";
import { resolveSpec, type TransformRequest } from "./images/params.ts";
import { sniffFormat, type ImageFormat } from "./images/probe.ts";
import type { Variant } from "./images/variants.ts";
import { servedBlob } from "./observed-blob-store.ts";
import type { StoragePath } from "./paths.ts";
import type { ReadableFiles } from "./readable-files.ts";
import type { StorageDeps } from "./storage-deps.ts";
import { worthCompressing, zipStream, type ZipSource } from "./zip.ts";
import { zipEntryBytes } from "./zip-entry-bytes.ts";

export interface OpenedFile {
  file: FileRow;
  metadata: FileMetadata;
  blob: OpenedBlob;
  /** Whether an anonymous caller could read this file with the same query (for Cache-Control public/private). */
  publicToQuery: boolean;
}

/** Files of a zip between two full collections (zip() says why). */
const ZIP_COLLECT_EVERY = 2000;
/** Sniffed formats remembered (a few bytes each); past this many the memo starts over. */
const FORMAT_MEMO_SIZE = 10_000;

/** An image variant already made, with what a read of its file answers besides the file's own bytes. */
export type CachedVariant = Omit<OpenedFile, "blob" | "metadata"> & { variant: Variant; blob: OpenedBlob };

/** Storage's reads; each is decided by the access rules and throws a StorageError when refused. */
export interface StorageReads {
  /**
   * A file's metadata. With `unchecked`, the caller's account passes the caller gate here, its state read with the
   * file's row (`access.caller.auth` is then replaced by the admitted variables, or null).
   */
  metadata(key: string, access: Access, unchecked?: UncheckedAuth): Promise<FileMetadata>;
  /** Opens a file for reading; the caller must stream or close `blob`. */
  open(key: string, access: Access): Promise<OpenedFile>;
  /**
   * An image variant that is already made, opened without opening the file itself (a repeat transform costs what
   * a download does); null when it must be made (then open() and variant()). Access as for open().
   */
  cachedVariant(key: string, access: Access, request: TransformRequest, accept: string | null): Promise<CachedVariant | null>;
  /**
   * The cached image variant of a file the caller has opened (made on a worker if needed). Consumes or closes
   * `opened.blob`, so the input is exactly the version whose ETag names the variant. `accept` is the client's
   * Accept header, for `f=auto`.
   */
  variant(opened: OpenedFile, request: TransformRequest, accept: string | null): Promise<{ variant: Variant; blob: OpenedBlob }>;
  /** Metadata of the readable files under a folder (the folder rule must allow listing). */
  list(folder: StoragePath, access: Access): Promise<AsyncIterable<FileMetadata>>;
  /** A zip of the readable files under a folder, entries named by their full keys. */
  zip(folder: StoragePath, access: Access): Promise<ReadableStream<Uint8Array>>;
}

export function createStorageReads(
  deps: Pick<Required<StorageDeps>, "records" | "blobs" | "variants" | "logger" | "observations"> & {
    decisions: AccessDecisions;
    readableFiles: ReadableFiles;
  },
): StorageReads {
  const { records, blobs, variants, logger, observations } = deps;
  const { authorize } = deps.decisions;
  const { readableWithMetadata, judgedRead, readable, publicToQuery, readableUnder } = deps.readableFiles;

  // The sniffed image format of a file's bytes, by ETag: a repeat transform is served like a static file, without
  // reading the original's first bytes again.
  const formatsByEtag = new Map<string, ImageFormat | null>();

  function checkFolderListing(folder: StoragePath, access: Access): void {
    authorize("list", folder.key, access, undefined);
  }

  return {
    async metadata(key: string, access: Access, unchecked?: UncheckedAuth): Promise<FileMetadata> {
      // The metadata the rules judged is the answer: made once (its date formatting is a share of a small read).
      if (unchecked === undefined) return (await readableWithMetadata(key, access)).metadata;
      const { file, accountState } = await records.getWithAccountState(key, unchecked.accountId);
      const auth = unchecked.admits(accountState) ? unchecked.auth : null;
      // Written out, not spread: a spread's copy was a share of the read.
      const caller: Caller = { auth, adminSecret: access.caller.adminSecret, ip: access.caller.ip };
      return judgedRead(key, file, { caller, method: access.method, query: access.query }).metadata;
    },

    async open(key: string, access: Access): Promise<OpenedFile> {
      for (let attempt = 0; ; attempt++) {
        const { row: file, metadata } = await readableWithMetadata(key, access);
        const blob = await blobs.open(key);
        if (!blob) {
          logger.warn("file row without its blob", { key });
          throw new StorageError("not_found");
        }
        // An overwrite between reading the row and opening the blob: read the row again (once).
        if (blob.size !== file.size && attempt === 0) {
          await blob.close();
          continue;
        }
        return { file, metadata, blob: servedBlob(blob, observations), publicToQuery: publicToQuery(file, access) };
      }
    },

    async cachedVariant(key: string, access: Access, request: TransformRequest, accept: string | null): Promise<CachedVariant | null> {
      const file = await readable(key, access);
      const format = formatsByEtag.get(file.etag);
      if (!format) return null; // not sniffed yet (or not an image: variant() says so)
      const variant = variants.describe({ key: file.key, etag: file.etag }, resolveSpec(request, format, accept));
      const blob = await variants.open(variant);
      if (!blob) return null;
      observations.transform("hit");
      return { file, variant, blob: servedBlob(blob, observations), publicToQuery: publicToQuery(file, access) };
    },

    async variant(opened: OpenedFile, request: TransformRequest, accept: string | null): Promise<{ variant: Variant; blob: OpenedBlob }> {
      const { file, blob: source } = opened;
      try {
        // The bytes say what the file is (its declared type may be anything): not an image, no need to read it all.
        // The answer is kept per ETag (one per stored version), so a cached variant is served without reading the file.
        let format = formatsByEtag.get(file.etag);
        if (format === undefined) {
          format = sniffFormat(await source.read({ start: 0, end: 31 }));
          if (formatsByEtag.size >= FORMAT_MEMO_SIZE) formatsByEtag.clear();
          formatsByEtag.set(file.etag, format);
        }
        if (!format) throw new StorageError("unsupported_image", "The file is not a JPEG, PNG or WebP image.");
        const spec = resolveSpec(request, format, accept);
        // Already made: open it straight away (variants.get would look for it first, then open it again).
        const described = variants.describe({ key: file.key, etag: file.etag }, spec);
        const made = await variants.open(described);
        if (made) {
          observations.transform("hit");
          return { variant: described, blob: servedBlob(made, observations) };
        }
        observations.transform("miss");
        const readInput = async (): Promise<Uint8Array> => {
          // A buffer of its own (it is transferred to the worker), in one read where the store gives it whole: a
          // 17 MB PNG read piece by piece through the stream cost the event loop hundreds of awaits and copies.
          const whole = await source.read({ start: 0, end: source.size - 1 });
          if (whole.length === source.size && whole.byteOffset === 0 && whole.byteLength === whole.buffer.byteLength) return whole;
          // Otherwise (a short read), piece by piece.
          const bytes = new Uint8Array(source.size);
          let offset = 0;
          for await (const chunk of source.stream()) {
            bytes.set(chunk.subarray(0, Math.max(0, Math.min(chunk.length, bytes.length - offset))), offset);
            offset += chunk.length;
          }
          return bytes;
        };
        const variant = await variants.get({ key: file.key, etag: file.etag }, spec, readInput);
        // Made, then perhaps pushed out of the cache's bound by others made meanwhile (TRANSFORM_CACHE_MAX): made again.
        const blob = (await variants.open(variant)) ?? (await variants.open(await variants.get({ key: file.key, etag: file.etag }, spec, readInput)));
        if (!blob) throw new Error(`variant ${variant.key} vanished`);
        return { variant, blob: servedBlob(blob, observations) };
      } finally {
        await source.close();
      }
    },

    async list(folder: StoragePath, access: Access): Promise<AsyncIterable<FileMetadata>> {
      checkFolderListing(folder, access);
      const rows = readableUnder(folder.key, access);
      return (async function* () {
        for await (const row of rows) yield toFileMetadata(row);
      })();
    },

    async zip(folder: StoragePath, access: Access): Promise<ReadableStream<Uint8Array>> {
      checkFolderListing(folder, access);
      // Any size: ZIP64 where a classic zip would overflow (zip.ts).
      const rows = readableUnder(folder.key, access);
      const sources = (async function* (): AsyncGenerator<ZipSource> {
        let entries = 0;
        for await (const row of rows) {
          // Each file leaves garbage behind (its handle, its stream, their promises) that the collector, driven by
          // the JS heap's growth, takes back late: a zip of 70,000 small files grew RSS by 110 MB, 77 MB with a
          // full collection every ZIP_COLLECT_EVERY files (a few ms each; test/storage-big-folders.test.ts).
          if (++entries % ZIP_COLLECT_EVERY === 0) Bun.gc(true);
          yield {
            name: row.key,
            modifiedAtMs: row.updatedAt,
            compress: worthCompressing(row.contentType),
            open: () => zipEntryBytes(blobs, row.key),
          };
        }
      })();
      return zipStream(sources, { onError: (error) => logger.error("zip download failed", { folder: folder.key, error }) });
    },
  };
}
