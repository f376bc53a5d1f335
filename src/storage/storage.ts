// File storage, free of HTTP: upload, read, list, delete and per-file tokens, each decided by the access rules.
// The dialect (src/apis/hbp/storage/) turns requests into these calls and StorageErrors into its own answers.
//
// Access: a matching rule that is truthy allows; a matching rule that is not denies (forbidden, 403); no matching
// rule is no_rule (404, as if the route did not exist). The admin secret (only when ADMIN_SECRET is set, decision 6)
// allows whatever a rule covers. A file that does not exist is judged with `resource` undefined first, so a caller
// who may not read a path cannot learn whether a file is there (403 either way).
//
// A disabled account's files are withheld from everyone, by whatever rule (its own token, a public folder, a listing,
// a zip, a transform), until it is enabled again; only the admin secret reaches them. The answer is the 403 of a read
// the rules refuse, so it says nothing about the account. The owner's state comes with the file's row (db/repositories/files.ts).
import { basename } from "node:path";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import type { Random } from "../lib/random.ts";
import { constantTimeEqual } from "../lib/secrets.ts";
import { isForeignKeyViolation } from "../db/errors.ts";
import type { FileRow } from "../db/schema.ts";
import type { BlobStore, OpenedBlob } from "./blob-store.ts";
import { StorageError } from "./errors.ts";
import { servedBlob } from "./observed-blob-store.ts";
import { noStorageObservations, type StorageObservations } from "./observations.ts";
import type { FilesRepository, FileToRead, StoredFile } from "../db/repositories/files.ts";
import type { AccountState } from "../db/repositories/users.ts";
import type { FileRemoval } from "./file-removal.ts";
import { resolveSpec, type TransformRequest } from "./images/params.ts";
import { sniffFormat, type ImageFormat } from "./images/probe.ts";
import type { Variant, Variants } from "./images/variants.ts";
import { multipartBoundary, parseMultipart } from "./multipart.ts";
import type { StoragePath } from "./paths.ts";
import type { Value } from "./rules/expression.ts";
import type { Decision, Operation, RuleAuth, RuleRequest, StorageRules } from "./rules/rules.ts";
import { worthCompressing, zipStream, type ZipSource } from "./zip.ts";
import { zipEntryBytes } from "./zip-entry-bytes.ts";

/** A file's metadata in the shape of S3's HeadObject output, which HBP answers and rules read as `resource`. */
export interface FileMetadata {
  key: string;
  AcceptRanges: "bytes";
  LastModified: string;
  ContentLength: number;
  ETag: string;
  ContentType: string;
  Metadata: { token: string };
}

export interface Caller {
  /** Permission variables of a signed-in caller; null for anonymous. */
  auth: RuleAuth | null;
  /** The x-admin-secret the caller presented, if any. */
  adminSecret: string | null;
  /** The client's address, for the security log when an admin secret is presented. */
  ip?: string | null;
}

/**
 * A signed-in caller whose account has yet to pass the caller gate (a credential outlives a ban or a deletion): a
 * read of one file reads the account's state with the file's row, in one statement, and the caller is anonymous to
 * the rules unless `admits` finds that account live. Checked on every such read, never cached.
 */
export interface UncheckedAuth {
  /** The account the credential names. */
  accountId: string;
  /** The credential's permission variables, what the rules see once the account is admitted. */
  auth: RuleAuth;
  /** The caller gate's rule on the account's state as read (null: no such account). */
  admits(state: AccountState | null): boolean;
}

/** What the rules see of a request besides the path. */
export interface Access {
  caller: Caller;
  method: string;
  query: Record<string, string>;
}

/**
 * Where storage reports each use of the admin secret, right or wrong: core's security events (server.ts hands them
 * in), so a ban on failed guesses counts storage's with the others and storage needs nothing else of core.
 */
export interface AdminSecretEvents {
  record(event: "admin_secret_used" | "admin_secret_failed", facts: { ip?: string | null }): void;
}

export interface StorageConfig {
  maxUploadBytes: number;
  /** ADMIN_SECRET; null: no admin bypass exists. */
  adminSecret: string | null;
}

export interface OpenedFile {
  file: FileRow;
  metadata: FileMetadata;
  blob: OpenedBlob;
  /** Whether an anonymous caller could read this file with the same query (for Cache-Control public/private). */
  publicToQuery: boolean;
}

/** Room for multipart boundaries, part headers and small fields around the file itself. */
export const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;
const LIST_PAGE_SIZE = 200;
/** Files of a zip between two full collections (zip() says why). */
const ZIP_COLLECT_EVERY = 2000;
/** Sniffed formats remembered (a few bytes each); past this many the memo starts over. */
const FORMAT_MEMO_SIZE = 10_000;

/** What a file's metadata is made of: its row's columns but the owner and the creation time. */
export type FileMetadataColumns = Pick<FileRow, "key" | "size" | "contentType" | "etag" | "token" | "updatedAt">;

export function toFileMetadata(row: FileMetadataColumns): FileMetadata {
  return {
    key: row.key,
    AcceptRanges: "bytes",
    LastModified: new Date(row.updatedAt).toISOString(),
    ContentLength: row.size,
    ETag: row.etag,
    ContentType: row.contentType,
    Metadata: { token: row.token },
  };
}

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,127}\/[a-z0-9!#$&^_.+-]{1,127}(\s*;\s*[a-z0-9!#$&^_.+-]+=("[^"\\\u0000-\u001f\u007f]*"|[a-z0-9!#$&^_.+-]+))*$/i;

/** The part's Content-Type if it is a well-formed media type (it is sent back as a header), else application/octet-stream. */
function mediaType(declared: string | null): string {
  const value = declared?.trim() ?? "";
  return value.length <= 255 && MEDIA_TYPE.test(value) ? value : "application/octet-stream";
}

/**
 * An upload's chunks are garbage as soon as they are copied into a piece (blob-store.ts), but they live outside the JS
 * heap, so the collector lags behind a fast upload and RSS grows with them. A young-generation collection every this
 * many bytes keeps a GiB upload's growth within the 64 MB bench/README.md sets (+19..40 MB in 3 uploads). A full
 * collection every 64 MiB did too (+38..50 MB), but each one stops the event loop for ~11 ms on latchkey's heap: a
 * quarter of the main thread's time in a CPU profile of an upload, ~0.3-0.4 s of CPU a GiB (bench/README.md, "Bytes
 * paths").
 */
const COLLECT_EVERY_BYTES = 16 * 1024 * 1024;

/** Passes a stream through, failing with too_large once more than `maxBytes` went by. */
async function* limited(source: AsyncIterable<Uint8Array>, maxBytes: number, reportedMax: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  let collectAt = COLLECT_EVERY_BYTES;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new StorageError("too_large", undefined, { maxBytes: reportedMax });
    yield chunk;
    if (total >= collectAt) {
      Bun.gc(false);
      collectAt = total + COLLECT_EVERY_BYTES;
    }
  }
}

/** An image variant already made, with what a read of its file answers besides the file's own bytes. */
export type CachedVariant = Omit<OpenedFile, "blob" | "metadata"> & { variant: Variant; blob: OpenedBlob };

/** Storage's operations; each is decided by the access rules and throws a StorageError when refused. */
export interface Storage {
  /**
   * Stores the multipart field `file` at `path`. Nothing is visible until the bytes are stored and allowed; a failure
   * anywhere leaves no file and no row (the row is written only after the blob is committed).
   */
  upload(path: StoragePath, access: Access, body: { contentType: string | null; stream: AsyncIterable<Uint8Array> | null }): Promise<FileMetadata>;
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
  /** Deletes the file: its row, then its bytes, then its variants. */
  delete(key: string, access: Access): Promise<void>;
  /** DELETE /storage/m/<key>: a new token, so links carrying the old one stop working (rule: delete|write). */
  resetToken(key: string, access: Access): Promise<FileMetadata>;
  /** POST /storage/m/<key> {action: "revoke-token"}: admin only (x-admin-secret). */
  revokeToken(key: string, caller: Caller): Promise<FileMetadata>;
}

export function createStorage(deps: {
  records: FilesRepository;
  blobs: BlobStore;
  variants: Variants;
  removal: FileRemoval;
  rules: StorageRules;
  clock: Clock;
  random: Random;
  logger: Logger;
  events: AdminSecretEvents;
  config: StorageConfig;
  observations?: StorageObservations;
}): Storage {
  const { records, blobs, variants, removal, rules, clock, random, logger, events, config } = deps;
  const observations = deps.observations ?? noStorageObservations;

  // A strong ETag names one stored version of a file. It is random, made per upload, not a digest of the bytes: HTTP
  // ETags are opaque (S3's are MD5s only for single-part uploads), and hashing a GiB costs more CPU than receiving
  // and writing it (bench/README.md). 128 bits, as hex: the shape an MD5 ETag had.
  const newEtag = () => `"${Buffer.from(random.bytes(16)).toString("hex")}"`;

  // The sniffed image format of a file's bytes, by ETag: a repeat transform is served like a static file, without
  // reading the original's first bytes again.
  const formatsByEtag = new Map<string, ImageFormat | null>();

  const withKeyLock = records.withKeyLock;

  // A presented secret is judged once per request (a listing asks for every file): one security event each.
  const adminVerdicts = new WeakMap<Caller, boolean>();

  function isAdmin(caller: Caller): boolean {
    if (caller.adminSecret === null) return false;
    const known = adminVerdicts.get(caller);
    if (known !== undefined) return known;
    // Constant-time compare: the secret must not leak through response timing.
    const verdict = config.adminSecret !== null && constantTimeEqual(caller.adminSecret, config.adminSecret);
    adminVerdicts.set(caller, verdict);
    events.record(verdict ? "admin_secret_used" : "admin_secret_failed", { ip: caller.ip });
    return verdict;
  }

  function ruleRequest(path: string, access: Access, auth: Caller["auth"] = access.caller.auth): RuleRequest {
    return { path: `/${path}`, method: access.method, query: access.query, auth: auth ?? undefined };
  }

  /** Throws unless allowed; returns the decision ("allow" or, with resourcePending, "pending"). */
  function authorize(operation: Operation, path: string, access: Access, resource: Value, options?: { resourcePending?: boolean }): Decision {
    const decision = rules.decide(operation, ruleRequest(path, access), resource, options);
    if (decision === "no_rule") throw new StorageError("no_rule");
    if (decision === "allow" || decision === "pending") return decision;
    if (isAdmin(access.caller)) return "allow";
    throw new StorageError("forbidden");
  }

  /** Whether a file is withheld from this caller because its owner's account is disabled. */
  function withheld(row: Pick<StoredFile, "ownerDisabled">, caller: Caller): boolean {
    return row.ownerDisabled === true && !isAdmin(caller);
  }

  /** The row of an existing file the caller may read (operation get), with its metadata (what the rules judged). */
  async function readableWithMetadata(key: string, access: Access): Promise<{ row: StoredFile; metadata: FileMetadata }> {
    return judgedRead(key, await records.get(key), access);
  }

  /** readableWithMetadata() on the row as read (null: no such file). */
  function judgedRead<Row extends FileToRead>(key: string, row: Row | null, access: Access): { row: Row; metadata: FileMetadata } {
    const metadata = row ? toFileMetadata(row) : undefined;
    authorize("get", key, access, metadata as unknown as Value);
    if (!row || !metadata) throw new StorageError("not_found");
    if (withheld(row, access.caller)) throw new StorageError("forbidden");
    return { row, metadata };
  }

  async function readable(key: string, access: Access): Promise<StoredFile> {
    return (await readableWithMetadata(key, access)).row;
  }

  function mayRead(row: StoredFile, access: Access): boolean {
    if (isAdmin(access.caller)) return true;
    if (withheld(row, access.caller)) return false;
    return rules.decide("get", ruleRequest(row.key, { ...access, method: "GET" }), toFileMetadata(row) as unknown as Value) === "allow";
  }

  /**
   * Whether an anonymous caller could read this file with the same query: Cache-Control public, or private. Only
   * for a file that readable() has just let this caller read, with this `access`.
   */
  function publicToQuery(file: StoredFile, access: Access): boolean {
    if (file.ownerDisabled === true) return false; // the admin secret reads it; no shared cache may keep it for others
    // An anonymous caller (no JWT, no admin secret) was just allowed by this very decision: the same path, method,
    // query and row, no auth, and rules are pure expressions. Deciding it again was a tenth of a public download.
    if (access.caller.auth === null && access.caller.adminSecret === null) return true;
    const anonymous = { ...access, caller: { auth: null, adminSecret: null } };
    return rules.decide("get", ruleRequest(file.key, anonymous, null), toFileMetadata(file) as unknown as Value) === "allow";
  }

  /**
   * Removes what an upload committed when it cannot stand (its row could not be written, or its owner was disabled
   * meanwhile): nothing of it is left. For an overwrite the old version's bytes were already replaced, so its row goes
   * too. Called holding the key's lock; a failure here is logged, and the upload's own error is what is raised.
   */
  async function undoCommit(key: string): Promise<void> {
    try {
      await removal.removeHoldingLock(key);
      await removal.removeVariants(key);
    } catch (error) {
      logger.error("could not remove a failed upload", { key, error });
    }
  }

  /** Rows under a folder that the caller may read, a page at a time. */
  async function* readableUnder(folder: string, access: Access): AsyncGenerator<StoredFile> {
    let after: string | null = null;
    for (;;) {
      const page = await records.page(folder, after, LIST_PAGE_SIZE);
      for (const row of page) if (mayRead(row, access)) yield row;
      if (page.length < LIST_PAGE_SIZE) return;
      after = page[page.length - 1]!.key;
    }
  }

  /**
   * An upload to a key ending in `/`, refused as HBP refuses it, before any of the body is read: HBP registers its
   * upload route only for paths some create/update/write rule covers (elsewhere 404, no_rule), and that route answers
   * 403 "Can't upload file that ends with /" to everyone, the admin secret included.
   */
  function refuseFolderUpload(folder: StoragePath, access: Access): never {
    const request = ruleRequest(folder.key, access);
    const covered = (["create", "update"] as const).some((operation) => rules.decide(operation, request, undefined) !== "no_rule");
    throw new StorageError(covered ? "upload_to_folder" : "no_rule");
  }

  function checkFolderListing(folder: StoragePath, access: Access): void {
    authorize("list", folder.key, access, undefined);
  }

  return {
    async upload(path: StoragePath, access: Access, body: { contentType: string | null; stream: AsyncIterable<Uint8Array> | null }): Promise<FileMetadata> {
      if (path.isFolder) refuseFolderUpload(path, access);
      const boundary = multipartBoundary(body.contentType);
      if (!boundary || !body.stream) throw new StorageError("bad_upload", "not multipart/form-data");
      const parts = parseMultipart(limited(body.stream, config.maxUploadBytes + MULTIPART_OVERHEAD_BYTES, config.maxUploadBytes), boundary);
      let staged: Awaited<ReturnType<BlobStore["stage"]>> | null = null;
      try {
        const key = path.key;
        let contentType = "application/octet-stream";
        let fileName = "";
        for await (const part of parts) {
          if (part.name !== "file") continue; // other fields are read past
          if (staged) throw new StorageError("several_files");
          // Before reading the bytes: refuse early whatever the rules refuse without looking at the file.
          const existing = await records.get(key);
          authorize(existing ? "update" : "create", key, access, undefined, { resourcePending: true });
          contentType = mediaType(part.contentType);
          fileName = part.filename ?? basename(key);
          staged = await blobs.stage(key, part.body, { maxBytes: config.maxUploadBytes, md5: rules.readsMd5 });
        }
        if (!staged) throw new StorageError("no_file");
        const blob = staged;
        const resource = { name: fileName, size: blob.size, mimetype: contentType, encoding: "7bit", md5: blob.md5Hex ?? undefined, truncated: false };
        const callerId = typeof access.caller.auth?.["user-id"] === "string" ? access.caller.auth["user-id"] : null;
        const row = await withKeyLock(key, async () => {
          const existing = await records.get(key);
          authorize(existing ? "update" : "create", key, access, resource);
          await blob.commit();
          let written: StoredFile;
          try {
            written = await records.upsert({
              key,
              size: blob.size,
              contentType,
              etag: newEtag(),
              // HBP keeps the token of an overwritten file and makes a new one (uuid v4) for a new file.
              token: existing?.token ?? random.uuid(),
              ownerId: existing ? existing.ownerId : callerId,
              updatedAt: clock.now(),
            });
          } catch (error) {
            await undoCommit(key);
            // The owner's account was deleted after the caller gate let the request in: the files' foreign key
            // refuses the row. Answered as the gate would have answered the request a moment later.
            if (isForeignKeyViolation(error)) throw new StorageError("forbidden");
            throw error;
          }
          // The caller's account was disabled after the gate let it in (a ban, or a deletion that may already have
          // listed its files): the upload is undone, so nothing of that account's is left behind.
          if (callerId !== null && written.ownerId === callerId && written.ownerDisabled === true) {
            await undoCommit(key);
            throw new StorageError("forbidden");
          }
          return written;
        });
        await removal.removeVariants(key);
        observations.uploaded(row.size);
        return toFileMetadata(row);
      } finally {
        await staged?.discard();
      }
    },

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

    async delete(key: string, access: Access): Promise<void> {
      const row = await records.get(key);
      authorize("delete", key, access, row ? (toFileMetadata(row) as unknown as Value) : undefined);
      if (!row) throw new StorageError("not_found");
      await removal.remove(key); // the row, then the bytes, then the variants (file-removal.ts)
    },

    async resetToken(key: string, access: Access): Promise<FileMetadata> {
      const row = await records.get(key);
      authorize("delete", key, access, row ? (toFileMetadata(row) as unknown as Value) : undefined);
      if (!row) throw new StorageError("not_found");
      const updated = await withKeyLock(key, () => records.setToken(key, random.uuid(), clock.now()));
      if (!updated) throw new StorageError("not_found");
      return toFileMetadata(updated);
    },

    async revokeToken(key: string, caller: Caller): Promise<FileMetadata> {
      if (config.adminSecret === null) throw new StorageError("admin_secret_unset");
      if (!isAdmin(caller)) throw new StorageError("admin_secret_wrong");
      const updated = await withKeyLock(key, () => records.setToken(key, random.uuid(), clock.now()));
      if (!updated) throw new StorageError("not_found");
      return toFileMetadata(updated);
    },
  };
}
