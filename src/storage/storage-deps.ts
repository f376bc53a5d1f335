// What file storage is built from (createStorage in storage.ts), and the two ports of its own it declares: its
// settings and where it reports the admin secret's uses. Each part (access-decisions.ts, readable-files.ts,
// storage-reads.ts, storage-writes.ts) takes the slice of these it uses.
import type { FilesRepository } from "../db/repositories/files.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import type { Random } from "../lib/random.ts";
import type { BlobStore } from "./blob-store.ts";
import type { FileRemoval } from "./file-removal.ts";
import type { Variants } from "./images/variants.ts";
import type { StorageObservations } from "./observations.ts";
import type { StorageRules } from "./rules/rules.ts";

/**
 * Where storage reports each use of the admin secret, right or wrong: core's security events (server.ts hands them
 * in), so a ban on failed guesses counts storage's with the others and storage needs nothing else of core.
 */
export interface AdminSecretEvents {
  record(event: "admin_secret_used" | "admin_secret_failed", facts: { ip?: string | null }): void;
}

export interface StorageConfig {
  maxUploadBytes: number;
  /** ADMIN_SECRET; null: no admin bypass exists. */
  adminSecret: string | null;
}

export interface StorageDeps {
  records: FilesRepository;
  blobs: BlobStore;
  variants: Variants;
  removal: FileRemoval;
  rules: StorageRules;
  clock: Clock;
  random: Random;
  logger: Logger;
  events: AdminSecretEvents;
  config: StorageConfig;
  observations?: StorageObservations;
}
