// The blob store: where file bytes live, behind a narrow port with two drivers: local disk (here, the default) and
// S3 through Bun.s3 (s3-blob-store.ts). Both pass the same conformance suite (test/support/blob-store-conformance.ts).
// Metadata (content type, ETag, token, owner) is not the store's business: it lives in the `files` table.
//
// Local-disk driver layout under its root (<DATA_DIR>/storage):
//   objects/<key>   the files, as uploaded, in a readable tree
//   tmp/            uploads being written; a file appears under objects/ only by an atomic rename, after fsync
// On disk one path cannot be both a file and a folder, so `a` and `a/b` cannot coexist (path_conflict); S3 can.
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import type { Stats } from "node:fs";
import { mkdir, open, readdir, rename, rm, rmdir, stat, type FileHandle } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { StorageError } from "./errors.ts";
import { streamingMd5 } from "./md5.ts";
import { PieceWriter } from "./piece-writer.ts";
import { pathUnderRoot } from "./paths.ts";

/** Bytes arriving in pieces: a request body, a parsed multipart part, or pieces already in memory. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** A read found the blob changed since it was opened (an overwrite, maybe by another instance). */
export class BlobChangedError extends Error {
  constructor(key: string) {
    super(`${key}: the object changed while it was being read`);
    this.name = "BlobChangedError";
  }
}

/** Inclusive byte range, as HTTP's Range header counts. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobInfo {
  key: string;
  size: number;
  modifiedAtMs: number;
}

/** Bytes written for a key but not yet visible under it (disk: a temporary file; S3: a multipart upload not completed). */
export interface StagedBlob {
  size: number;
  /** MD5 of the bytes, hex, if stage() was asked for it (null otherwise: it costs a core at ~700 MB/s). */
  md5Hex: string | null;
  /** Makes the bytes visible under the key they were staged for, replacing what was there in one step. */
  commit(): Promise<void>;
  /** Throws the bytes away (safe to call after commit or twice). */
  discard(): Promise<void>;
}

/**
 * A blob opened for reading: read() and stream() read the version `size` is of, or fail with BlobChangedError if
 * the key was overwritten since open (neither driver sends another version's bytes under this size).
 */
export interface OpenedBlob {
  size: number;
  modifiedAtMs: number;
  /** A few bytes (e.g. a header to sniff), leaving the blob open. */
  read(range: ByteRange): Promise<Uint8Array>;
  /** Streams the bytes (or a range of them) and closes the blob at the end or on cancel. Call once. */
  stream(range?: ByteRange): ReadableStream<Uint8Array>;
  /**
   * The bytes (or a range of them) as an HTTP response body: a lazily read Blob (disk: sent with sendfile; it reads
   * by key, so an overwrite in the instant between open and send would send the new version) or a stream (S3: it
   * fails rather than send another version; up to 1 MiB is read into a Blob, see s3-blob-store.ts). Never a large
   * blob whole in memory. Hands this handle over (no close needed).
   */
  body(range?: ByteRange): Promise<Blob | ReadableStream<Uint8Array>>;
  close(): Promise<void>;
}

export interface StageOptions {
  maxBytes: number;
  /** Compute the MD5 of the bytes as they stream in (StagedBlob.md5Hex). */
  md5?: boolean;
}

export interface BlobStore {
  /**
   * Writes a stream for `key` without making it visible yet (see StagedBlob); fails with too_large past `maxBytes`
   * (nothing is left behind on any failure, and what `key` held stays as it was).
   */
  stage(key: string, source: ByteSource, options: StageOptions): Promise<StagedBlob>;
  /** stage + commit. */
  put(key: string, source: ByteSource, options: StageOptions): Promise<{ size: number; md5Hex: string | null }>;
  open(key: string): Promise<OpenedBlob | null>;
  stat(key: string): Promise<BlobInfo | null>;
  /** True if something was deleted. */
  delete(key: string): Promise<boolean>;
  /** Every blob whose key starts with `prefix` (a plain string prefix, as S3's), in no particular order. */
  list(prefix: string): AsyncIterable<BlobInfo>;
}

/**
 * Streams read in pieces of this size, so a reader (a zip being sent, an image's input) holds one piece in memory.
 * Each piece is a read on the thread pool and a trip through the stream and the zip writer: 64 KiB pieces cost a
 * 1 GiB zip ~1.6x the CPU of these. Larger ones save a little more but leave more garbage between collections (the
 * pieces live outside the JS heap, which drives the collector): 256 KiB took a 1 GiB zip's RSS growth to within a
 * few MB of the 64 MB bench/README.md allows ("Bytes paths").
 */
const READ_CHUNK_BYTES = 128 * 1024;

/**
 * Uploads are written in pieces of this size: a request body arrives in ~32 KiB chunks, and one write (a promise
 * and a trip to the thread pool) per chunk cost ~0.5 s of CPU per GiB more than gathering them (bench/README.md).
 */
const WRITE_PIECE_BYTES = 1024 * 1024;
/** Pieces an upload may have under way while it fills the next one (piece-writer.ts): 6 MiB of pieces at most. */
const WRITE_PIECES_IN_FLIGHT = 4;

/**
 * A write that found no room, the file system full (ENOSPC) or the user's quota used up (EDQUOT), as
 * insufficient_storage: the client gets a 507 that says so instead of a bare 500, and the operator a log line with
 * the cause. Any other error is returned unchanged.
 */
function asNoRoomError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code !== "ENOSPC" && code !== "EDQUOT") return error;
  return new StorageError("insufficient_storage", `${code}: ${(error as Error).message}`);
}

/** `put` for any driver: stage, commit, and always clean up what staging left. */
export function putByStaging(stage: BlobStore["stage"]): BlobStore["put"] {
  return async (key, source, options) => {
    const staged = await stage(key, source, options);
    try {
      await staged.commit();
    } finally {
      await staged.discard();
    }
    return { size: staged.size, md5Hex: staged.md5Hex };
  };
}

/**
 * A blob of the local-disk driver, opened for reading. A class, not an object of closures: every download opens one,
 * and its methods are then shared instead of made anew each time (a download's garbage is what the collector spends
 * its time on; bench/README.md, "Bytes paths").
 *
 * A download (body) needs no handle: Bun sends the file by path with sendfile. Opening, fstat-ing and closing a handle
 * for it was a large share of a download's work (bench/README.md), so one is opened only for read() and stream(), and
 * only onto the version stat() saw: an overwrite since (a rename puts another inode under the key) fails the read, as
 * on S3 (BlobChangedError), instead of sending other bytes under this size.
 */
class LocalOpenedBlob implements OpenedBlob {
  readonly size: number;
  readonly modifiedAtMs: number;
  #handle: Promise<FileHandle> | null = null;
  #closed = false;

  constructor(
    private readonly key: string,
    private readonly file: string,
    private readonly info: Stats,
  ) {
    this.size = info.size;
    this.modifiedAtMs = info.mtimeMs;
  }

  #opened(): Promise<FileHandle> {
    return (this.#handle ??= (async () => {
      const fresh = await open(this.file, "r").catch((error: NodeJS.ErrnoException) => {
        throw error.code === "ENOENT" ? new BlobChangedError(this.key) : error;
      });
      const now = await fresh.stat();
      if (this.#closed || now.ino !== this.info.ino || now.dev !== this.info.dev) {
        await fresh.close();
        throw this.#closed ? new Error(`${this.key}: read after close`) : new BlobChangedError(this.key);
      }
      return fresh;
    })());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#handle) await (await this.#handle.catch(() => null))?.close();
  }

  async body(range?: ByteRange): Promise<Blob> {
    if (this.#handle) await this.close();
    else this.#closed = true;
    const whole = Bun.file(this.file);
    return range ? whole.slice(range.start, range.end + 1) : whole;
  }

  async read(range: ByteRange): Promise<Uint8Array> {
    const length = Math.max(0, Math.min(range.end + 1, this.size) - range.start);
    const buffer = new Uint8Array(length);
    const { bytesRead } = await (await this.#opened()).read(buffer, 0, length, range.start);
    return buffer.subarray(0, bytesRead);
  }

  stream(range?: ByteRange): ReadableStream<Uint8Array> {
    let position = range?.start ?? 0;
    const end = range ? range.end + 1 : this.size; // exclusive
    // Pull-driven: a piece is read only when the consumer (a socket) wants more, so a slow client costs one piece.
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          try {
            const length = Math.min(READ_CHUNK_BYTES, end - position);
            if (length <= 0) {
              await this.close();
              controller.close();
              return;
            }
            const buffer = new Uint8Array(length);
            const { bytesRead } = await (await this.#opened()).read(buffer, 0, length, position);
            if (bytesRead === 0) throw new Error(`blob ended early at ${position} of ${end}`);
            position += bytesRead;
            controller.enqueue(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
          } catch (error) {
            await this.close().catch(() => {});
            controller.error(error);
          }
        },
        cancel: async () => {
          await this.close();
        },
      },
      { highWaterMark: 0 },
    );
  }
}

/**
 * `clearStaging` (the default): empty tmp/ of uploads a crash interrupted (nothing refers to them). Only the serving
 * process may: a command run beside it (the CLI) would take the server's uploads in progress away.
 */
export function createLocalBlobStore(root: string, options: { clearStaging?: boolean } = {}): BlobStore {
  const objects = join(root, "objects");
  const tmp = join(root, "tmp");
  mkdirSync(objects, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  if (options.clearStaging ?? true) {
    for (const leftover of readdirSync(tmp)) rmSync(join(tmp, leftover), { force: true, recursive: true });
  }

  const fileOf = (key: string) => pathUnderRoot(objects, key);

  async function fsyncDirectory(directory: string): Promise<void> {
    const handle = await open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Removes folders left empty by a delete, up to (not including) the objects root. */
  async function pruneEmptyParents(file: string): Promise<void> {
    let directory = dirname(file);
    while (directory.startsWith(objects + sep)) {
      try {
        await rmdir(directory);
      } catch {
        return; // not empty (or already gone): stop
      }
      directory = dirname(directory);
    }
  }

  async function stage(key: string, source: ByteSource, options: StageOptions): Promise<StagedBlob> {
    const target = fileOf(key); // an escaping key is refused before anything is written
    const temporary = join(tmp, `${crypto.randomUUID()}.part`);
    const md5 = options.md5 ? streamingMd5() : null; // on its own thread, beside the writes
    let size = 0;
    let md5Hex: string | null;
    let handle: FileHandle | null = null;
    let writer: PieceWriter | null = null;
    try {
      // Opened inside the try: on a file system out of inodes even creating the file fails with ENOSPC.
      handle = await open(temporary, "wx", 0o600);
      writer = new PieceWriter(handle, { pieceBytes: WRITE_PIECE_BYTES, piecesInFlight: WRITE_PIECES_IN_FLIGHT });
      for await (const chunk of source) {
        size += chunk.byteLength;
        if (size > options.maxBytes) throw new StorageError("too_large", undefined, { maxBytes: options.maxBytes });
        if (md5) await md5.update(chunk);
        await writer.write(chunk);
      }
      await writer.end();
      // The bytes reach the disk before the rename can make them visible: a crash never shows a partial file.
      await handle.sync();
      await handle.close();
      handle = null;
      md5Hex = md5 ? await md5.digest() : null;
    } catch (error) {
      md5?.drop();
      await writer?.settle(); // no write may still be under way on the handle closed next
      await handle?.close().catch(() => {});
      await rm(temporary, { force: true });
      throw asNoRoomError(error);
    }
    let settled = false;
    return {
      size,
      md5Hex,
      async commit() {
        if (settled) throw new Error("staged blob already settled");
        try {
          await mkdir(dirname(target), { recursive: true });
          await rename(temporary, target);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOTDIR" || code === "EISDIR" || code === "EEXIST" || code === "ENOTEMPTY") {
            throw new StorageError("path_conflict", `${key}: ${code}`);
          }
          throw asNoRoomError(error); // a new folder or directory entry needs room too
        }
        settled = true;
        await fsyncDirectory(dirname(target));
      },
      async discard() {
        if (settled) return;
        settled = true;
        await rm(temporary, { force: true });
      },
    };
  }

  return {
    stage,

    put: putByStaging(stage),

    async open(key) {
      const file = fileOf(key);
      // On the event loop, not the thread pool: Bun opens and fstat-s the file there itself to send it, so this
      // blocks no longer than that does, and an answer made after a trip to the pool leaves Bun's cork: its headers
      // went out in six sendto calls instead of one (bench/README.md, "Bytes paths").
      let found: Stats | undefined;
      try {
        found = statSync(file, { throwIfNoEntry: false });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOTDIR") return null;
        throw error;
      }
      return found?.isFile() ? new LocalOpenedBlob(key, file, found) : null;
    },

    async stat(key) {
      try {
        const info = await stat(fileOf(key));
        return info.isFile() ? { key, size: info.size, modifiedAtMs: info.mtimeMs } : null;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return null;
        throw error;
      }
    },

    async delete(key) {
      const file = fileOf(key);
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) return false;
      await rm(file, { force: true });
      await pruneEmptyParents(file);
      return true;
    },

    async *list(prefix) {
      // Walk only the folder the prefix lies in (`user/4` -> objects/user/), then filter by the full prefix.
      const slash = prefix.lastIndexOf("/");
      const start = slash < 0 ? objects : pathUnderRoot(objects, prefix.slice(0, slash));
      const pending = [start];
      while (pending.length > 0) {
        const directory = pending.pop()!;
        let entries;
        try {
          entries = await readdir(directory, { withFileTypes: true });
        } catch {
          continue; // gone meanwhile, or the prefix names no folder
        }
        for (const entry of entries) {
          const full = join(directory, entry.name);
          const key = relative(objects, full).split(sep).join("/");
          if (entry.isDirectory()) {
            if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) pending.push(full);
          } else if (entry.isFile() && key.startsWith(prefix)) {
            const info = await stat(full).catch(() => null);
            if (info) yield { key, size: info.size, modifiedAtMs: info.mtimeMs };
          }
        }
      }
    },
  };
}
