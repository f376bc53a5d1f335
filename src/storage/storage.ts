// File storage, free of HTTP: upload, read, list, delete and per-file tokens, each decided by the access rules.
// The dialect (src/apis/hbp/storage/) turns requests into these calls and StorageErrors into its own answers.
//
// createStorage is the one entry point; it composes the parts, each in a file of its own:
//   storage-reads.ts     metadata, open, cachedVariant, variant, list, zip
//   storage-writes.ts    upload, delete, resetToken, revokeToken (media-type.ts: the Content-Type an upload keeps)
//   readable-files.ts    which files a caller may read (a disabled account's files are withheld)
//   access-decisions.ts  the access rules and the admin secret, judged once per request for reads and writes alike
//   access.ts, file-metadata.ts, storage-deps.ts: the types they share
import { createAccessDecisions } from "./access-decisions.ts";
import { noStorageObservations } from "./observations.ts";
import { createReadableFiles } from "./readable-files.ts";
import type { StorageDeps } from "./storage-deps.ts";
import { createStorageReads, type StorageReads } from "./storage-reads.ts";
import { createStorageWrites, type StorageWrites } from "./storage-writes.ts";

/** Storage's operations; each is decided by the access rules and throws a StorageError when refused. */
export interface Storage extends StorageReads, StorageWrites {}

export function createStorage(deps: StorageDeps): Storage {
  const parts = { ...deps, observations: deps.observations ?? noStorageObservations };
  // One for reads and writes: a presented admin secret is judged, and reported, once per request.
  const decisions = createAccessDecisions(parts);
  const readableFiles = createReadableFiles({ ...parts, decisions });
  return {
    ...createStorageReads({ ...parts, decisions, readableFiles }),
    ...createStorageWrites({ ...parts, decisions }),
  };
}
