// Transient failures of an S3-compatible service, retried for the requests that may be repeated (HEAD, GET, DELETE,
// LIST), as the AWS SDKs' "standard" retry mode does: a 500, 502, 503, 504 or 429 answer, a throttling or internal
// error code, or no answer at all (the connection refused or reset). Busy S3 services answer so now and then by
// design ("InternalError: please try again"); s3rver, MinIO and Ceph do too under concurrent writes to one folder.
// Without a retry, one such answer became a 500 for the client. What still fails after the last attempt, or fails
// in a way a retry would not mend (AccessDenied, NoSuchBucket), becomes StorageError "store_failed": the client gets
// a 502 in its API's shape, the operator the cause in the log. Uploads are not repeated here: Bun's writer retries
// its own parts, and a refused upload is mapped where it is staged (s3-blob-store.ts).
import { BlobChangedError } from "./blob-store.ts";
import { StorageError } from "./errors.ts";

/** Attempts in all, the first included (the AWS SDKs' standard mode makes 3). */
const ATTEMPTS = 3;
/** Backoff before the second attempt; doubled for each next one, with full jitter (AWS's advice). */
const BASE_DELAY_MS = 50;

/** An S3 answer with a status that says the request failed (HEAD and GET are our own signed requests). */
export class S3StatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "S3StatusError";
  }
}

/** S3 error codes that say "try again" (the service's state, not the request's fault). */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "InternalError",
  "ServiceUnavailable",
  "SlowDown",
  "RequestTimeout",
  "RequestTimeTooSkewed",
  "Throttling",
  "ThrottlingException",
  "TooManyRequests",
]);

/** Errors of a connection that got no answer (Bun's fetch and S3 client, Node's socket codes). */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "ConnectionRefused",
  "ConnectionClosed",
  "ConnectionReset",
  "FailedToOpenSocket",
]);

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

export function isTransientS3Failure(error: unknown): boolean {
  if (error instanceof S3StatusError) return error.status >= 500 || error.status === 429;
  const code = codeOf(error);
  return TRANSIENT_CODES.has(code) || NETWORK_CODES.has(code);
}

/** The failure as the client will hear of it, with what S3 said for the log. */
function storeFailed(what: string, error: unknown): StorageError {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return new StorageError("store_failed", `${what}: ${code ? `${code} ` : ""}${message}`);
}

/**
 * Runs a request that may be repeated, again after a short, jittered wait while it fails transiently; `what` names it
 * in the log ("S3 DELETE user/1/a.txt").
 */
export async function retryingS3<T>(what: string, request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (error instanceof StorageError || error instanceof BlobChangedError) throw error; // ours, not S3's
      if (attempt >= ATTEMPTS || !isTransientS3Failure(error)) throw storeFailed(what, error);
      await Bun.sleep(Math.random() * BASE_DELAY_MS * 2 ** (attempt - 1));
    }
  }
}
