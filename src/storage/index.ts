// Builds the file storage from the configuration: the blob store on local disk, the `files` rows, the access
// rules, and the image transform workers with their variant cache.
//
// Layout of <DATA_DIR>/storage: objects/ (the files), tmp/ (uploads in progress), variants/ (transformed images).
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Config } from "../config.ts";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { Database } from "../db/client.ts";
import { createLocalBlobStore } from "./blob-store.ts";
import { createFileRecords } from "./file-records.ts";
import { createTransformPool } from "./images/pool.ts";
import { createVariants } from "./images/variants.ts";
import { loadRules, type StorageRules } from "./rules/rules.ts";
import { createStorage, MULTIPART_OVERHEAD_BYTES, type Storage } from "./storage.ts";

export { loadRules };

/** Bun's own default request body limit. */
const BUN_DEFAULT_MAX_BODY_BYTES = 128 * 1024 * 1024;
const TRANSFORM_TIMEOUT_MS = 60_000;
const TRANSFORM_QUEUE_LIMIT = 200;

/** The request body limit the HTTP server needs so that an upload of MAX_UPLOAD_SIZE fits (never lower than Bun's default). */
export function maxRequestBodyBytes(config: Config): number {
  return Math.max(BUN_DEFAULT_MAX_BODY_BYTES, config.storage.maxUploadBytes + MULTIPART_OVERHEAD_BYTES);
}

export interface FileStorage {
  storage: Storage;
  close(): void;
}

export function openFileStorage(deps: { config: Config; db: Database; root: string; rules: StorageRules; clock: Clock; logger: Logger }): FileStorage {
  const { config, db, root, rules, clock, logger } = deps;
  const pool = createTransformPool({
    size: config.storage.imageWorkers > 0 ? config.storage.imageWorkers : Math.min(4, availableParallelism()),
    maxQueue: TRANSFORM_QUEUE_LIMIT,
    timeoutMs: TRANSFORM_TIMEOUT_MS,
    logger,
  });
  const variants = createVariants({
    store: createLocalBlobStore(join(root, "variants")),
    pool,
    maxPixels: config.storage.imageMaxPixels,
  });
  const storage = createStorage({
    records: createFileRecords(db),
    blobs: createLocalBlobStore(root),
    variants,
    rules,
    clock,
    logger,
    config: { maxUploadBytes: config.storage.maxUploadBytes, adminSecret: config.auth.adminSecret },
  });
  return { storage, close: () => pool.close() };
}
