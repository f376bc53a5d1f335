// The blob store port (blob-store.ts) on an S3-compatible object store, through Bun's S3 client (Bun.s3).
//
// Layout: every key lives under the store's prefix (`<STORAGE_URL path>/objects/<key>`, variants under `.../variants/`),
// so a listing of one store never sees the other's keys.
//
// Writes: the upload is one S3 object write fed by a ReadableStream that pulls from the request body. Bun's writer
// buffers PART_BYTES at a time and sends them as multipart parts (at most QUEUE_PARTS in flight; it stops pulling
// while they are, so a slow S3 slows the client down instead of filling memory). The object appears only when the
// stream is closed (CompleteMultipartUpload, or one PUT for a small file), which stage() holds back until commit():
// until then nothing is visible and the old version stays. Erroring the stream (discard, too_large, a dropped client)
// makes Bun abort the upload: nothing appears. (Bun 1.4's writer().end(error) does not abort: it completes the upload
// with what it has, so it is not used.) Parts of uploads a crash interrupted stay invisible; an
// AbortIncompleteMultipartUpload lifecycle rule on the bucket removes them (README "Running several instances").
//
// Reads: open() is a HEAD (size, ETag); each read is a GET of a presigned URL with `If-Match: <that ETag>` and a
// Range when only part is wanted, and the answer's ETag is checked again (some S3-compatible servers ignore
// If-Match). S3 cannot read an overwritten version, so a read after an overwrite fails instead of sending other
// bytes under this version's size. Bodies are passed through as streams (fetch applies backpressure), never whole.
//
// Content-Length: Bun 1.4's server drops a Content-Length set on a streamed Response and sends it chunked
// (oven-sh/bun#10507), and a Response of an S3File answers 302 to a presigned URL (without latchkey's headers). So a
// response body of at most SMALL_BODY_BYTES is read into memory (Bun then sends its length); a larger one goes out
// chunked, without Content-Length, until Bun keeps the header that file-response.ts sets.
import type { S3Client } from "bun";
import { streamingMd5 } from "./md5.ts";
import { BlobChangedError, putByStaging, type BlobInfo, type BlobStore, type ByteRange, type ByteSource, type OpenedBlob, type StagedBlob, type StageOptions } from "./blob-store.ts";
import { StorageError } from "./errors.ts";
import { retryingS3, S3StatusError } from "./s3-retry.ts";

/** S3's smallest part (Bun's default): the memory an upload costs per part buffered or in flight. */
export const PART_BYTES = 5 * 1024 * 1024;
/** Parts uploaded at once per upload (Bun's default is 5): at most (1 + this) x PART_BYTES buffered per upload. */
export const QUEUE_PARTS = 2;
/** Time to wait for S3 to answer a request's headers (a body may then take as long as the client needs). */
const HEADERS_TIMEOUT_MS = 30_000;
/** Response bodies up to this size are buffered so that they are sent with a Content-Length (see above). */
export const SMALL_BODY_BYTES = 1024 * 1024;
/** Presigned URLs are used at once; this only needs to cover clock skew and a slow start. */
const PRESIGN_SECONDS = 300;

export interface S3BlobStoreOptions {
  client: S3Client;
  /** Key prefix of this store inside the bucket: "" or ending with "/". */
  prefix: string;
  /** Keys per list request (S3's maximum is 1000; tests use fewer to exercise continuation tokens). */
  listPageSize?: number;
}

function s3Failure(what: string, key: string, status: number, detail = ""): S3StatusError {
  return new S3StatusError(status, `S3 ${what} ${key}: HTTP ${status}${detail ? ` ${detail}` : ""}`);
}

/** The S3 error code of an XML error body (<Code>NoSuchKey</Code>), for the log. */
async function errorCode(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  return /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1] ?? "";
}

/**
 * S3 error codes that say the service has no room for the object: MinIO's "drive above its free-space threshold"
 * (HTTP 507) and the quota error of Ceph RGW and others (HTTP 403).
 */
const NO_ROOM_CODES: ReadonlySet<string> = new Set(["XMinioStorageFull", "QuotaExceeded"]);

/**
 * Why S3 did not take an upload, as a StorageError: insufficient_storage when it says it is full, store_unavailable
 * for any other refusal or no answer at all, so the client gets a 507 or 502 that says the file was not stored
 * instead of a bare 500 (and the S3 code goes to the log).
 */
function uploadFailure(key: string, error: unknown): StorageError {
  if (error instanceof StorageError) return error;
  const code = typeof (error as { code?: unknown } | null)?.code === "string" ? (error as { code: string }).code : "";
  const detail = `S3 upload of ${key}: ${code ? `${code} ` : ""}${error instanceof Error ? error.message : String(error)}`;
  return new StorageError(NO_ROOM_CODES.has(code) ? "insufficient_storage" : "store_unavailable", detail);
}

async function* iterate(source: ByteSource): AsyncGenerator<Uint8Array> {
  yield* source;
}

export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore {
  const { client, prefix } = options;
  const listPageSize = options.listPageSize ?? 1000;
  const objectKey = (key: string) => {
    if (key === "") throw new StorageError("invalid_path", "empty key");
    return `${prefix}${key}`;
  };

  /** A signed request of our own (HEAD, GET) so that its status, headers and conditional headers are ours to use. */
  async function request(method: "HEAD" | "GET", key: string, headers: Record<string, string> = {}): Promise<Response> {
    const url = client.presign(objectKey(key), { method, expiresIn: PRESIGN_SECONDS });
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`S3 ${method} ${key}: no answer within ${HEADERS_TIMEOUT_MS} ms`)), HEADERS_TIMEOUT_MS);
    try {
      return await fetch(url, { method, headers: { "accept-encoding": "identity", ...headers }, signal: abort.signal, redirect: "error" });
    } finally {
      clearTimeout(timer);
    }
  }

  function head(key: string): Promise<{ size: number; etag: string; modifiedAtMs: number } | null> {
    return retryingS3(`S3 HEAD ${key}`, () => headOnce(key));
  }

  async function headOnce(key: string): Promise<{ size: number; etag: string; modifiedAtMs: number } | null> {
    const response = await request("HEAD", key);
    if (response.status === 404) return null;
    if (!response.ok) throw s3Failure("HEAD", key, response.status);
    const size = Number(response.headers.get("content-length"));
    const etag = response.headers.get("etag");
    if (!Number.isSafeInteger(size) || size < 0 || !etag) throw s3Failure("HEAD", key, response.status, "without Content-Length or ETag");
    return { size, etag, modifiedAtMs: Date.parse(response.headers.get("last-modified") ?? "") || 0 };
  }

  async function stage(key: string, source: ByteSource, { maxBytes, md5: wantsMd5 }: StageOptions): Promise<StagedBlob> {
    const target = client.file(objectKey(key));
    const chunks = iterate(source);
    const md5 = wantsMd5 ? streamingMd5() : null; // on its own thread (md5.ts)
    let size = 0;
    let drained = false; // the source has ended: the stream is held open until commit or discard
    let ended = false; // the stream is closed, errored or cancelled: no more pulls
    let settled = false; // commit or discard was called
    let givenUp = false; // Bun's writer cancelled the stream: the upload failed, whatever the race below sees first
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const sourceDone = Promise.withResolvers<void>();
    sourceDone.promise.catch(() => {}); // raced below; this keeps an early failure from counting as unhandled

    const body = new ReadableStream<Uint8Array>(
      {
        start(streamController) {
          controller = streamController;
        },
        async pull(streamController) {
          if (drained || ended) return;
          try {
            for (;;) {
              const next = await chunks.next();
              if (next.done) {
                drained = true;
                sourceDone.resolve();
                return;
              }
              if (next.value.byteLength === 0) continue;
              size += next.value.byteLength;
              if (size > maxBytes) throw new StorageError("too_large", undefined, { maxBytes });
              await md5?.update(next.value);
              streamController.enqueue(next.value);
              return;
            }
          } catch (error) {
            ended = true;
            streamController.error(error); // Bun aborts the upload: nothing becomes visible
            sourceDone.reject(error);
          }
        },
        async cancel(reason) {
          // The upload gave up (S3 refused a part, say): stop reading the source.
          ended = true;
          givenUp = true;
          sourceDone.reject(reason instanceof Error ? reason : new Error(`S3 upload of ${key} was cancelled`));
          await chunks.return(undefined).catch(() => {});
        },
      },
      { highWaterMark: 0 },
    );
    const endStream = (how: "close" | Error) => {
      if (ended) return;
      ended = true;
      try {
        if (how === "close") controller.close();
        else controller.error(how);
      } catch {
        // already closed by the other side; the upload's own outcome tells what happened
      }
    };

    // How the upload ended: null when the object is complete and visible, else the error.
    const uploaded: Promise<unknown> = target.write(new Response(body), { partSize: PART_BYTES, queueSize: QUEUE_PARTS }).then(
      () => null,
      (error: unknown) => error ?? new Error(`S3 upload of ${key} failed`),
    );

    // Usually the source is read to its end first. Otherwise the source failed (dropped client, too_large) or the
    // upload did (S3 unreachable or refusing): stop both, and wait for the abort before saying so.
    const first = await Promise.race([
      sourceDone.promise.then(
        () => ({ kind: "drained" as const, error: null }),
        (error: unknown) => ({ kind: "source" as const, error }),
      ),
      uploaded.then((error) => ({ kind: "upload" as const, error })),
    ]);
    if (first.kind !== "drained") {
      md5?.drop();
      const error = first.error ?? new Error(`S3 upload of ${key} ended before it was committed`);
      endStream(error instanceof Error ? error : new Error(String(error)));
      await chunks.return(undefined).catch(() => {});
      const uploadError = await uploaded;
      // The upload's failure as what S3 did (its cancel of the stream may win the race, with no word of why); the
      // source's own (too_large, a dropped client) as it is.
      if (first.kind === "upload" || givenUp) throw uploadFailure(key, uploadError ?? error);
      throw error;
    }

    let md5Hex: string | null;
    try {
      md5Hex = md5 ? await md5.digest() : null;
    } catch (error) {
      endStream(error instanceof Error ? error : new Error(String(error)));
      await uploaded;
      throw error;
    }
    return {
      size,
      md5Hex,
      async commit() {
        if (settled) throw new Error("staged blob already settled");
        settled = true;
        endStream("close"); // the last part goes up and the upload completes: the object appears whole
        const error = await uploaded;
        if (error) throw uploadFailure(key, error);
      },
      async discard() {
        if (settled) return;
        settled = true;
        endStream(new Error("upload discarded"));
        await uploaded; // aborted (if the abort itself failed, the parts are left to the bucket's lifecycle rule)
      },
    };
  }

  function opened(key: string, info: { size: number; etag: string; modifiedAtMs: number }): OpenedBlob {
    const { size, etag } = info;

    /** The body of a GET of `range` (or all) of exactly this version; the request is repeated while S3 fails transiently. */
    function get(range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
      return retryingS3(`S3 GET ${key}`, () => getOnce(range));
    }

    async function getOnce(range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? size - 1, size - 1); // inclusive
      if (end < start) return new ReadableStream({ start: (controller) => controller.close() });
      const headers: Record<string, string> = { "if-match": etag };
      const whole = start === 0 && end === size - 1;
      if (!whole) headers.range = `bytes=${start}-${end}`;
      const response = await request("GET", key, headers);
      if (response.status === 412 || response.status === 404 || (response.ok && response.headers.get("etag") !== etag)) {
        await response.body?.cancel().catch(() => {});
        throw new BlobChangedError(key);
      }
      if (response.status !== (whole ? 200 : 206)) throw s3Failure("GET", key, response.status, await errorCode(response));
      if (Number(response.headers.get("content-length")) !== end - start + 1 || !response.body) {
        await response.body?.cancel().catch(() => {});
        throw s3Failure("GET", key, response.status, `with ${response.headers.get("content-length")} bytes, not ${end - start + 1}`);
      }
      return response.body;
    }

    return {
      size,
      modifiedAtMs: info.modifiedAtMs,
      async read(range) {
        return new Uint8Array(await new Response(await get(range)).arrayBuffer());
      },
      stream(range) {
        // Lazily: the GET is made when the consumer first wants bytes.
        let pieces: AsyncIterator<Uint8Array> | null = null;
        return new ReadableStream<Uint8Array>(
          {
            async pull(controller) {
              try {
                pieces ??= (await get(range))[Symbol.asyncIterator]();
                const { done, value } = await pieces.next();
                if (done) controller.close();
                else controller.enqueue(value);
              } catch (error) {
                controller.error(error);
              }
            },
            async cancel() {
              await pieces?.return?.().catch(() => {});
            },
          },
          { highWaterMark: 0 },
        );
      },
      async body(range) {
        const length = range ? range.end - range.start + 1 : size;
        const stream = await get(range);
        return length <= SMALL_BODY_BYTES ? new Blob([await new Response(stream).arrayBuffer()]) : stream;
      },
      async close() {
        // Nothing is held between requests.
      },
    };
  }

  return {
    stage,

    put: putByStaging(stage),

    async open(key) {
      const info = await head(key);
      return info ? opened(key, info) : null;
    },

    async stat(key) {
      const info = await head(key);
      return info ? { key, size: info.size, modifiedAtMs: info.modifiedAtMs } : null;
    },

    async delete(key) {
      // S3 answers a DELETE of a missing key like any other: ask first, for the port's "was something deleted".
      if (!(await head(key))) return false;
      await retryingS3(`S3 DELETE ${key}`, () => client.delete(objectKey(key)));
      return true;
    },

    async *list(keyPrefix): AsyncGenerator<BlobInfo> {
      let continuationToken: string | undefined;
      do {
        const token = continuationToken;
        const page = await retryingS3(`S3 LIST ${keyPrefix}`, () => client.list({ prefix: `${prefix}${keyPrefix}`, maxKeys: listPageSize, continuationToken: token }));
        for (const item of page.contents ?? []) {
          if (!item.key.startsWith(prefix)) continue;
          yield { key: item.key.slice(prefix.length), size: item.size ?? 0, modifiedAtMs: Date.parse(item.lastModified ?? "") || 0 };
        }
        continuationToken = page.isTruncated ? page.nextContinuationToken : undefined;
      } while (continuationToken);
    },
  };
}
