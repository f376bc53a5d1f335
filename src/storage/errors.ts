// Every way a storage action can fail, as one closed set of codes. The storage layer throws these; each dialect
// maps them to its own wire shape (HBP: src/apis/hbp/storage/errors.ts). `detail` may be shown to the client
// where the code says so (bad parameters); causes that could leak internals go to the log only.
export type StorageErrorCode =
  /** The path has `..`, `.` or empty segments, NUL, control characters, a backslash, or is absolute. */
  | "invalid_path"
  | "not_found"
  /** A rule matched the path but none allowed this operation. */
  | "forbidden"
  /** No rule covers this path and operation (answered like a missing route). */
  | "no_rule"
  /** The body is not multipart/form-data, or its multipart structure is broken. */
  | "bad_upload"
  | "no_file"
  | "several_files"
  /** The upload exceeds MAX_UPLOAD_SIZE; meta.maxBytes says by how much. */
  | "too_large"
  /** An upload to a key ending in `/` (HBP: 403 "Can't upload file that ends with /"). */
  | "upload_to_folder"
  /** On local disk one path cannot be a file and a folder at once (`a` and `a/b`). */
  | "path_conflict"
  /** No room to store the bytes: the disk or quota is full (ENOSPC, EDQUOT), or the S3 service says it is full. */
  | "insufficient_storage"
  /** The S3 service refused the upload for another reason (a 5xx, an error code) or could not be reached. */
  | "store_unavailable"
  /**
   * The S3 service failed a read, deletion or listing: it kept answering an error (after the retries of s3-retry.ts),
   * refused the request (AccessDenied, NoSuchBucket) or could not be reached.
   */
  | "store_failed"
  /** A transform parameter is unknown or out of range; detail is the client-facing message. */
  | "invalid_transform"
  /** Transform asked of a file that is not a JPEG, PNG or WebP image. */
  | "unsupported_image"
  /** The image header or data is broken. */
  | "corrupt_image"
  /** The input (or the requested output) has more pixels than IMAGE_MAX_PIXELS. */
  | "image_too_large"
  /** Every transform worker is busy and the queue is full; retry shortly. */
  | "transform_busy"
  /** Token revocation needs ADMIN_SECRET configured. */
  | "admin_secret_unset"
  | "admin_secret_wrong"
  /** A paging cursor this listing did not hand out (the console's folder browser). */
  | "invalid_cursor";

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    /** Client-facing for invalid_transform and invalid_path; otherwise for the log. */
    readonly detail?: string,
    readonly meta: { maxBytes?: number; retryAfterSeconds?: number } = {},
  ) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = "StorageError";
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}
