// Storage's writes, free of HTTP: an upload (stream, stage, lock, re-authorise with the resource, commit, then write
// the row; any failure leaves no file and no row), a delete, and a file's token made anew. Each is decided by the
// access rules (access-decisions.ts) and throws a StorageError when refused. storage.ts composes them with the reads
// (storage-reads.ts).
import { basename } from "node:path";
import { isForeignKeyViolation } from "../db/errors.ts";
import type { StoredFile } from "../db/repositories/files.ts";
import type { AccessDecisions } from "./access-decisions.ts";
import type { Access, Caller } from "./access.ts";
import type { BlobStore } from "./blob-store.ts";
import { StorageError } from "./errors.ts";
import { toFileMetadata, type FileMetadata } from "./file-metadata.ts";
import { mediaType } from "./media-type.ts";
import { multipartBoundary, parseMultipart } from "./multipart.ts";
import type { StoragePath } from "./paths.ts";
import type { Value } from "./rules/expression.ts";
import type { StorageDeps } from "./storage-deps.ts";

/** Room for multipart boundaries, part headers and small fields around the file itself. */
export const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

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

/** Storage's writes; each is decided by the access rules and throws a StorageError when refused. */
export interface StorageWrites {
  /**
   * Stores the multipart field `file` at `path`. Nothing is visible until the bytes are stored and allowed; a failure
   * anywhere leaves no file and no row (the row is written only after the blob is committed).
   */
  upload(path: StoragePath, access: Access, body: { contentType: string | null; stream: AsyncIterable<Uint8Array> | null }): Promise<FileMetadata>;
  /** Deletes the file: its row, then its bytes, then its variants. */
  delete(key: string, access: Access): Promise<void>;
  /** DELETE /storage/m/<key>: a new token, so links carrying the old one stop working (rule: delete|write). */
  resetToken(key: string, access: Access): Promise<FileMetadata>;
  /** POST /storage/m/<key> {action: "revoke-token"}: admin only (x-admin-secret). */
  revokeToken(key: string, caller: Caller): Promise<FileMetadata>;
}

export function createStorageWrites(
  deps: Pick<Required<StorageDeps>, "records" | "blobs" | "removal" | "rules" | "clock" | "random" | "logger" | "config" | "observations"> & {
    decisions: AccessDecisions;
  },
): StorageWrites {
  const { records, blobs, removal, rules, clock, random, logger, config, observations } = deps;
  const { isAdmin, ruleRequest, authorize } = deps.decisions;

  // A strong ETag names one stored version of a file. It is random, made per upload, not a digest of the bytes: HTTP
  // ETags are opaque (S3's are MD5s only for single-part uploads), and hashing a GiB costs more CPU than receiving
  // and writing it (bench/README.md). 128 bits, as hex: the shape an MD5 ETag had.
  const newEtag = () => `"${Buffer.from(random.bytes(16)).toString("hex")}"`;

  const withKeyLock = records.withKeyLock;

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
