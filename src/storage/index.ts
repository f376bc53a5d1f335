// Builds the file storage from the configuration: the blob store (local disk, or S3 with STORAGE_URL), the `files`
// rows, the access rules, and the image transform workers with their variant cache (in the same blob store).
//
// Layout of <DATA_DIR>/storage: objects/ (the files), tmp/ (uploads in progress), variants/ (transformed images).
// On S3 the same under the URL's prefix: <prefix>objects/<key>, <prefix>variants/... (uploads in progress are
// multipart uploads, invisible until complete).
import { s3ClientFor, s3Location } from "./s3-client.ts";
import { opendir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Config, S3Settings } from "../config.ts";
import { ConfigError } from "../lib/errors.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import type { Random } from "../lib/random.ts";
import type { OwnedData } from "../core/accounts/owned-data.ts";
import type { Database } from "../db/client.ts";
import { createLocalBlobStore, type BlobStore } from "./blob-store.ts";
import { createFilesRepository } from "../db/repositories/files.ts";
import { createFileRemoval } from "./file-removal.ts";
import { createFileAdministration, type FileAdministration } from "./file-administration.ts";
import { createTransformPool } from "./images/pool.ts";
import { createVariants, removeVariantsOf } from "./images/variants.ts";
import { createS3BlobStore } from "./s3-blob-store.ts";
import { loadRules, type StorageRules } from "./rules/rules.ts";
import type { AdminSecretEvents } from "./storage-deps.ts";
import { createStorage, type Storage } from "./storage.ts";
import { MULTIPART_OVERHEAD_BYTES } from "./storage-writes.ts";
import { observedBlobStore } from "./observed-blob-store.ts";
import { noStorageObservations, type StorageObservations } from "./observations.ts";

export { loadRules };

/** STORAGE_* and MAX_UPLOAD_SIZE: the slice of the settings storage reads. */
type StorageSettings = Config["storage"];

/** Bun's own default request body limit. */
const BUN_DEFAULT_MAX_BODY_BYTES = 128 * 1024 * 1024;
const TRANSFORM_TIMEOUT_MS = 60_000;
const TRANSFORM_QUEUE_LIMIT = 200;

/** The request body limit the HTTP server needs so that an upload of MAX_UPLOAD_SIZE fits (never lower than Bun's default). */
export function maxRequestBodyBytes(settings: StorageSettings): number {
  return Math.max(BUN_DEFAULT_MAX_BODY_BYTES, settings.maxUploadBytes + MULTIPART_OVERHEAD_BYTES);
}

export interface FileStorage {
  storage: Storage;
  /** What the admin console does with files (no access rules: its guard proved an administrator). */
  administration: FileAdministration;
  /** Removes a deleted account's files: core's OwnedData port (users.delete). */
  ownedFiles: OwnedData;
  /** Where the files are, for the log (no secrets). */
  location: string;
  /**
   * The store can be listed (local disk: its objects folder; S3: the bucket), else an error (on S3 a ConfigError
   * naming STORAGE_URL). Run at start-up and by GET /readyz.
   */
  check(): Promise<void>;
  close(): void;
}

interface BlobStores {
  objects: BlobStore;
  variants: BlobStore;
  location: string;
  check(): Promise<void>;
}

/** `server`: the store is the serving process's, which empties the staging folder of uploads a crash interrupted. */
function localStores(root: string, server: boolean): BlobStores {
  const options = { clearStaging: server };
  return {
    objects: createLocalBlobStore(root, options),
    variants: createLocalBlobStore(join(root, "variants"), options),
    location: root,
    // The folder can be listed: read one entry (a folder of a million files costs no more).
    async check() {
      const folder = await opendir(join(root, "objects"));
      try {
        await folder.read();
      } finally {
        await folder.close();
      }
    },
  };
}

function s3Stores(settings: S3Settings): BlobStores {
  const client = s3ClientFor(settings);
  const location = s3Location(settings);
  return {
    objects: createS3BlobStore({ client, prefix: `${settings.prefix}objects/` }),
    variants: createS3BlobStore({ client, prefix: `${settings.prefix}variants/` }),
    location,
    async check() {
      try {
        await client.list({ prefix: settings.prefix, maxKeys: 1 });
      } catch (error) {
        const reason = error instanceof Error ? `${"code" in error ? `${String(error.code)}: ` : ""}${error.message}` : String(error);
        throw new ConfigError([`STORAGE_URL: cannot list ${location}: ${reason}`]);
      }
    },
  };
}

export function openFileStorage(deps: {
  settings: StorageSettings;
  /** ADMIN_SECRET; null: no admin bypass exists. */
  adminSecret: string | null;
  db: Database;
  root: string;
  rules: StorageRules;
  clock: Clock;
  random: Random;
  logger: Logger;
  events: AdminSecretEvents;
  /** What storage reports for the operator's metrics (src/metrics.ts); none when absent. */
  observations?: StorageObservations;
}): FileStorage {
  const { settings, adminSecret, db, root, rules, clock, random, logger, events } = deps;
  const observations = deps.observations ?? noStorageObservations;
  const pool = createTransformPool({
    size: settings.imageWorkers > 0 ? settings.imageWorkers : Math.min(4, availableParallelism()),
    maxQueue: TRANSFORM_QUEUE_LIMIT,
    timeoutMs: TRANSFORM_TIMEOUT_MS,
    logger,
  });
  const opened = settings.s3 ? s3Stores(settings.s3) : localStores(root, true);
  const stores = { ...opened, objects: observedBlobStore(opened.objects, observations), variants: observedBlobStore(opened.variants, observations) };
  const variants = createVariants({
    store: stores.variants,
    pool,
    maxPixels: settings.imageMaxPixels,
    maxCacheBytes: settings.transformCacheMaxBytes,
  });
  const records = createFilesRepository(db);
  const removal = createFileRemoval({ records, blobs: stores.objects, variants, logger });
  const storage = createStorage({
    records,
    blobs: stores.objects,
    variants,
    removal,
    rules,
    clock,
    random,
    logger,
    events,
    config: { maxUploadBytes: settings.maxUploadBytes, adminSecret },
    observations,
  });
  const administration = createFileAdministration({ records, blobs: stores.objects, removal, storage, clock, random });
  return { storage, administration, ownedFiles: removal, location: stores.location, check: () => stores.check(), close: () => pool.close() };
}

/**
 * Storage's part of deleting accounts, for a command run beside the server (`latchkey user delete`): the same stores
 * and the same removal, without rules or image workers, and leaving the server's uploads in progress alone.
 */
export function openOwnedFiles(deps: { s3: S3Settings | null; db: Database; root: string; logger: Logger }): OwnedData {
  const { s3, db, root, logger } = deps;
  const stores = s3 ? s3Stores(s3) : localStores(root, false);
  const variants = { removeFor: (fileKey: string) => removeVariantsOf(stores.variants, fileKey) };
  return createFileRemoval({ records: createFilesRepository(db), blobs: stores.objects, variants, logger });
}
