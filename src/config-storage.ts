// Files and images (src/storage/): the largest upload, the rules file, what an image transform may decode and how
// many threads do it, the variant cache's bound, and where the bytes live (local disk, or a bucket by STORAGE_URL).
// Read by config.ts into `storage`.
import { resolve } from "node:path";
import type { Reader } from "./config-reader.ts";
import type { S3Settings } from "./config.ts";
import { readStorageUrl } from "./config-urls.ts";

export interface StorageSettings {
  enabled: boolean;
  /** MAX_UPLOAD_SIZE: the largest file accepted, in bytes (larger: 413). */
  maxUploadBytes: number;
  /** STORAGE_RULES: a YAML or JSON rules file (spec/hbp.md §5); null: the built-in rules (README "Storage"). */
  rulesFile: string | null;
  /** Largest image (width x height) a transform decodes or makes: against decompression bombs. */
  imageMaxPixels: number;
  /** Threads that transform images; 0: as many as CPU cores, at most 4. */
  imageWorkers: number;
  /** TRANSFORM_CACHE_MAX: bytes of transformed images kept, least recently used out (storage/images/variants.ts). */
  transformCacheMaxBytes: number;
  /** STORAGE_URL=s3://...: files (and image variants) in an S3-compatible bucket; null: local disk under DATA_DIR. */
  s3: S3Settings | null;
}

/** `cwd`: what a relative STORAGE_RULES path is taken from. */
export function readStorageSettings(read: Reader, cwd: string): StorageSettings {
  const rulesFile = read.optionalString("STORAGE_RULES");
  return {
    enabled: read.bool(["STORAGE_ENABLED", "STORAGE_ENABLE"], true),
    maxUploadBytes: read.bytes("MAX_UPLOAD_SIZE", 100 * 1024 * 1024, { min: 1, max: 16 * 1024 ** 3 }),
    rulesFile: rulesFile === null ? null : resolve(cwd, rulesFile),
    // 50 megapixels: a 48 MP phone photo passes; decoded as RGBA that is 200 MB in one worker.
    imageMaxPixels: read.number("IMAGE_MAX_PIXELS", 50_000_000, { min: 1, max: 1_000_000_000, integer: true }),
    imageWorkers: read.number("IMAGE_WORKERS", 0, { min: 0, max: 64, integer: true }),
    transformCacheMaxBytes: read.bytes("TRANSFORM_CACHE_MAX", 1024 ** 3, { min: 1, max: 2 ** 50 }),
    s3: readStorageUrl(read),
  };
}
