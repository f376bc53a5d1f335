// StorageError codes in HBP's Boom shape. Messages are HBP's where HBP has one ("Forbidden", "Can't upload file
// that ends with /"); the rest say what to do.
import { StorageError, type StorageErrorCode } from "../../../storage/errors.ts";
import type { Logger } from "../../../lib/logger.ts";
import { hbpErrorResponse } from "../error-handler.ts";
import { HbpError } from "../errors.ts";

const MESSAGES: Record<StorageErrorCode, [number, string | null]> = {
  invalid_path: [400, null],
  not_found: [404, "File not found"],
  forbidden: [403, "Forbidden"],
  no_rule: [404, "Not Found"],
  bad_upload: [400, 'Upload the file as multipart/form-data in the field "file".'],
  no_file: [400, 'No file uploaded: send it in the multipart field "file".'],
  several_files: [400, 'Only one file can be uploaded at a time (field "file").'],
  too_large: [413, null],
  upload_to_folder: [403, "Can't upload file that ends with /"],
  path_conflict: [409, "A file and a folder cannot have the same path."],
  insufficient_storage: [507, "The file was not stored: the server's storage is full."],
  store_unavailable: [502, "The file was not stored: the file store (S3) refused it or did not answer; try again later."],
  store_failed: [502, "The file store (S3) failed or did not answer; try again later."],
  invalid_transform: [400, null],
  unsupported_image: [415, "Only JPEG, PNG and WebP images can be transformed."],
  corrupt_image: [400, "The image could not be decoded."],
  image_too_large: [400, null],
  transform_busy: [503, "Too many image transforms at once; retry shortly."],
  admin_secret_unset: [404, "Token revocation is disabled; set ADMIN_SECRET"],
  admin_secret_wrong: [403, "Incorrect x-admin-secret"],
  invalid_cursor: [400, "The cursor is not one this listing handed out."],
};

/** Failures only the operator can mend (free space, fix S3): the client gets the message, the log the cause. */
const NEEDS_THE_OPERATOR: ReadonlySet<StorageErrorCode> = new Set(["insufficient_storage", "store_unavailable", "store_failed"]);

/** 65536 -> "64 KiB", 104857600 -> "100 MiB". */
function humanBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Math.round(value * 10) / 10} ${units[unit]}`;
}

export function fromStorageError(error: StorageError): HbpError {
  const [status, message] = MESSAGES[error.code];
  const headers: Record<string, string> = {};
  if (error.meta.retryAfterSeconds !== undefined) headers["retry-after"] = String(error.meta.retryAfterSeconds);
  if (error.code === "too_large") {
    const max = error.meta.maxBytes ?? 0;
    return new HbpError(status, `The file is larger than the upload limit of ${humanBytes(max)} (MAX_UPLOAD_SIZE).`, headers);
  }
  return new HbpError(status, message ?? error.detail ?? undefined, headers);
}

export function hbpStorageErrorResponse(code: string | number, error: unknown, logger: Logger): Response {
  const cause = error instanceof Error && error.cause instanceof StorageError ? error.cause : error;
  if (!(cause instanceof StorageError)) return hbpErrorResponse(code, error, logger);
  const mapped = fromStorageError(cause);
  if (NEEDS_THE_OPERATOR.has(cause.code)) logger.error("storage failed", { code: cause.code, detail: cause.detail });
  return hbpErrorResponse(code, mapped, logger);
}
