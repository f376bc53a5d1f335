// Storage keys: what a client may name a file, and how a key becomes a path on disk.
//
// Threat: a key that escapes the storage root (`../../etc/passwd`, its percent-encoded and double-encoded forms,
// an absolute path, a Windows separator, a NUL that truncates the path in C code below us). Bun already resolves
// `..` and `%2e%2e` in request URLs (WHATWG URL parsing), so such a request reaches us as some other path under
// /storage, which the rules then judge; this module is the second wall: every key is decoded exactly once, checked
// segment by segment against an allow-list of shapes, and only then joined to the root, and the joined path is
// checked to still be inside the root.
import { resolve, sep } from "node:path";
import { StorageError } from "./errors.ts";

/** Longest key in bytes (S3's limit), and longest segment (most file systems' limit for one name). */
export const MAX_KEY_BYTES = 1024;
export const MAX_SEGMENT_BYTES = 255;

export interface StoragePath {
  /** The decoded key, e.g. `user/42/photo.jpg`; for a folder it ends with `/` (`user/42/`); the root folder is "". */
  key: string;
  isFolder: boolean;
}

// NUL and other C0 controls, DEL, and the backslash (a separator on Windows, and a way to smuggle one).
const FORBIDDEN_CHARACTERS = /[\u0000-\u001f\u007f\\]/;
// What a second round of decoding would turn into a dot or a separator: refuse instead of guessing.
const ENCODED_DOT_OR_SEPARATOR = /%(2e|2f|5c|00)/i;

const DRIVE_LETTER = /^[A-Za-z]:/;

/**
 * Whether `text` is longer than `maxBytes` in UTF-8. A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate
 * pair, 2 units, is 4), so a text of at most maxBytes / 3 units cannot be longer: only a longer one is measured.
 */
function longerThan(text: string, maxBytes: number): boolean {
  return text.length * 3 > maxBytes && Buffer.byteLength(text) > maxBytes;
}

function invalid(reason: string): StorageError {
  return new StorageError("invalid_path", `Invalid file path: ${reason}.`);
}

/**
 * The storage path of a request: `raw` is the URL path after `/storage/o/` or `/storage/m/`, still percent-encoded.
 * Throws invalid_path for anything that is not a plain relative path of named segments.
 */
export function parseStoragePath(raw: string): StoragePath {
  let decoded: string;
  try {
    // Without a `%` there is nothing to decode (and nothing decodeURIComponent could refuse): the same string.
    decoded = raw.includes("%") ? decodeURIComponent(raw) : raw;
  } catch {
    throw invalid("bad percent-encoding");
  }
  if (decoded === "") return { key: "", isFolder: true };
  if (FORBIDDEN_CHARACTERS.test(decoded)) throw invalid("control characters and backslashes are not allowed");
  // Without a `%` left after decoding there is no encoded anything (the test is skipped, not weakened).
  if (decoded.includes("%") && ENCODED_DOT_OR_SEPARATOR.test(decoded)) throw invalid("doubly encoded dots or separators are not allowed");
  if (decoded.startsWith("/")) throw invalid("it must be relative");
  if (DRIVE_LETTER.test(decoded)) throw invalid("drive letters are not allowed");
  if (longerThan(decoded, MAX_KEY_BYTES)) throw invalid(`longer than ${MAX_KEY_BYTES} bytes`);
  const isFolder = decoded.endsWith("/");
  const segments = (isFolder ? decoded.slice(0, -1) : decoded).split("/");
  for (const segment of segments) {
    if (segment === "") throw invalid("empty segments (//) are not allowed");
    if (segment === "." || segment === "..") throw invalid("'.' and '..' segments are not allowed");
    if (longerThan(segment, MAX_SEGMENT_BYTES)) throw invalid(`a segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  return { key: decoded, isFolder };
}

/**
 * The file for `key` under `root`. The key must have passed parseStoragePath; the result is checked once more to lie
 * strictly inside the root, so a bug above cannot turn into a read or write outside it.
 */
export function pathUnderRoot(root: string, key: string): string {
  const base = resolve(root);
  const full = resolve(base, key);
  if (!full.startsWith(base + sep) || key === "") throw invalid("outside the storage root");
  return full;
}
