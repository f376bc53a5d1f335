// What a backup holds, as one zip streamed with bounded memory (storage/zip.ts, fflate): a consistent snapshot of the
// SQLite database, the stored files of the disk store, and a manifest written last. Nothing is read whole into
// memory: the snapshot and each file are read in pieces as the destination takes them.
//
// Consistency: the snapshot is taken first (db/sqlite-snapshot.ts: VACUUM INTO, while the server keeps writing;
// never a copy of the file). The files are listed after it, so every file
// whose row is in the snapshot is in the archive, unless it was deleted in between (then its row points at nothing,
// as after a deletion cut short). Files uploaded after the snapshot may be there too, without a row: harmless.
import type { BlobStore } from "./storage/blob-store.ts";
import { ZIP_MAX_BYTES, ZIP_MAX_ENTRIES, zipStream, type ZipSource } from "./storage/zip.ts";

export const ARCHIVE_DATABASE = "latchkey.db";
export const ARCHIVE_MANIFEST = "latchkey-backup.json";
/** Stored files, under their keys, as in the data directory (storage/objects/<key>). */
export const ARCHIVE_OBJECTS = "storage/objects/";

export interface BackupManifest {
  format: 1;
  latchkey: string;
  createdAt: string;
  database: "sqlite";
  /** Stored files in the archive; null when they are in a bucket (STORAGE_URL) and not in it. */
  files: number | null;
  fileBytes: number | null;
}

/** A backup that cannot be made as asked (PostgreSQL, no database, too large): the message says what to do. */
export class BackupRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupRefusedError";
  }
}

export interface BackupArchive {
  stream: ReadableStream<Uint8Array>;
  /** What went in, once the stream has ended. */
  manifest(): BackupManifest;
}

/** The archive of a snapshot (db/sqlite-snapshot.ts) and the files of `objects` (null: the files are not included). */
export function backupArchive(options: { snapshotFile: string; objects: BlobStore | null; version: string; createdAtMs: number }): BackupArchive {
  const { snapshotFile, objects, version, createdAtMs } = options;
  const manifest: BackupManifest = {
    format: 1,
    latchkey: version,
    createdAt: new Date(createdAtMs).toISOString(),
    database: "sqlite",
    files: objects ? 0 : null,
    fileBytes: objects ? 0 : null,
  };

  async function* sources(): AsyncGenerator<ZipSource> {
    const snapshot = Bun.file(snapshotFile);
    let archivedBytes = snapshot.size;
    let entries = 1;
    // The database compresses well; files are stored as they are (mostly images and archives already compressed).
    yield { name: ARCHIVE_DATABASE, modifiedAtMs: createdAtMs, compress: true, open: async () => snapshot.stream() };
    if (objects) {
      for await (const info of objects.list("")) {
        entries += 1;
        archivedBytes += info.size;
        if (entries >= ZIP_MAX_ENTRIES || archivedBytes > ZIP_MAX_BYTES) {
          throw new BackupRefusedError("the backup would pass 65,535 files or 4 GiB, the most a zip holds here: back the storage folder up with a file tool");
        }
        yield {
          name: `${ARCHIVE_OBJECTS}${info.key}`,
          modifiedAtMs: info.modifiedAtMs,
          compress: false,
          async open() {
            const blob = await objects.open(info.key);
            if (!blob) return null; // deleted since it was listed
            manifest.files! += 1;
            manifest.fileBytes! += blob.size;
            return blob.stream();
          },
        };
      }
    }
    yield {
      name: ARCHIVE_MANIFEST,
      modifiedAtMs: createdAtMs,
      compress: true,
      async open() {
        // Read when its turn comes, after every file: the counts are then final.
        return (async function* () {
          yield new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
        })();
      },
    };
  }

  return { stream: zipStream(sources()), manifest: () => manifest };
}
