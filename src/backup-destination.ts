// Where backups go: a folder (files 0600 in a 0700 folder, written under a temporary name and renamed when whole, so a
// backup cut short never looks like one) or a bucket of an S3-compatible store (one multipart upload, which S3 makes
// visible only when it completes). Names are latchkey-backup-<UTC time>.zip, so they sort by age.
import { s3ClientFor, s3Location } from "./storage/s3-client.ts";
import { retryingS3 } from "./storage/s3-retry.ts";
import { mkdirSync } from "node:fs";
import { createReadStream } from "node:fs";
import { open, readdir, rename, rm, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { join } from "node:path";
import type { BackupTarget } from "./config.ts";

const BACKUP_NAME = /^latchkey-backup-\d{8}T\d{6}(?:\d{3})?Z\.zip$/;
/** S3's smallest part: the memory an upload to S3 costs per part buffered or in flight. */
const PART_BYTES = 5 * 1024 * 1024;

export interface BackupDestination {
  /** Where, for the log and the operator: never a credential. */
  description: string;
  /** Writes the archive under `name`; the bytes written. Nothing is left under `name` when it fails. */
  write(name: string, archive: ReadableStream<Uint8Array>): Promise<number>;
  /** Names of the backups there, oldest first. */
  list(): Promise<string[]>;
  /** The backups there with their sizes, oldest first (the admin console's Backups page). */
  entries(): Promise<{ name: string; bytes: number }[]>;
  /** One backup's bytes, streamed (a backup is as large as the database and the files): null when there is none. */
  open(name: string): Promise<{ bytes: number; stream: ReadableStream<Uint8Array> } | null>;
  remove(name: string): Promise<void>;
}

/** latchkey-backup-20261207T083700123Z.zip: the time in UTC, to the millisecond. */
export function backupName(atMs: number): string {
  return `latchkey-backup-${new Date(atMs).toISOString().replace(/[-:]/g, "").replace(".", "")}.zip`;
}

/** Whether `name` is a backup's name (and nothing else: no folder, no `..`). */
export function isBackupName(name: string): boolean {
  return BACKUP_NAME.test(name);
}

/** The time in a backup's name (ms since the epoch); null for any other name. */
export function backupTimeMs(name: string): number | null {
  const match = /^latchkey-backup-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})?Z\.zip$/.exec(name);
  if (!match) return null;
  const [year, month, day, hour, minute, second, ms] = match.slice(1).map((part) => Number(part ?? 0));
  return Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, ms!);
}

export function backupDestination(target: BackupTarget): BackupDestination {
  return target.kind === "folder" ? folderDestination(target.path) : s3Destination(target.s3);
}

function folderDestination(folder: string): BackupDestination {
  return {
    description: folder,
    async write(name, archive) {
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      const partial = join(folder, `.${name}.partial`);
      const handle = await open(partial, "wx", 0o600);
      let bytes = 0;
      try {
        for await (const chunk of archive) {
          for (let at = 0; at < chunk.byteLength; ) {
            const { bytesWritten } = await handle.write(chunk, at, chunk.byteLength - at);
            at += bytesWritten;
          }
          bytes += chunk.byteLength;
        }
        await handle.sync();
        await handle.close();
        await rename(partial, join(folder, name));
      } catch (error) {
        await handle.close().catch(() => {});
        await rm(partial, { force: true });
        throw error;
      }
      return bytes;
    },
    async list() {
      const names = await readdir(folder).catch(() => [] as string[]);
      return names.filter((name) => BACKUP_NAME.test(name)).sort();
    },
    async entries() {
      const found: { name: string; bytes: number }[] = [];
      for (const name of await this.list()) {
        // A backup deleted between the listing and its stat (BACKUP_KEEP) is left out.
        const facts = await stat(join(folder, name)).catch(() => null);
        if (facts?.isFile()) found.push({ name, bytes: facts.size });
      }
      return found;
    },
    async open(name) {
      if (!isBackupName(name)) return null;
      const handle = await open(join(folder, name), "r").catch(() => null);
      if (!handle) return null;
      const { size } = await handle.stat();
      const stream = Readable.toWeb(createReadStream("", { fd: handle.fd, autoClose: true })) as ReadableStream<Uint8Array>;
      return { bytes: size, stream };
    },
    async remove(name) {
      await rm(join(folder, name), { force: true });
    },
  };
}

function s3Destination(settings: Extract<BackupTarget, { kind: "s3" }>["s3"]): BackupDestination {
  const client = s3ClientFor(settings);
  return {
    description: s3Location(settings),
    async write(name, archive) {
      let bytes = 0;
      const counted = archive.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            bytes += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      );
      // An error in the archive errors this stream, and Bun then aborts the upload: no object appears.
      await client.file(`${settings.prefix}${name}`).write(new Response(counted), { partSize: PART_BYTES, queueSize: 2 });
      return bytes;
    },
    async list() {
      return (await this.entries()).map((entry) => entry.name);
    },
    async entries() {
      // Listing and removing are repeated while S3 fails transiently (storage/s3-retry.ts), as for stored files.
      const found: { name: string; bytes: number }[] = [];
      let continuationToken: string | undefined;
      do {
        const token = continuationToken;
        const page = await retryingS3(`S3 LIST ${settings.prefix}`, () => client.list({ prefix: settings.prefix, continuationToken: token }));
        for (const item of page.contents ?? []) {
          const name = item.key.slice(settings.prefix.length);
          if (BACKUP_NAME.test(name)) found.push({ name, bytes: item.size ?? 0 });
        }
        continuationToken = page.isTruncated ? page.nextContinuationToken : undefined;
      } while (continuationToken);
      return found.sort((a, b) => (a.name < b.name ? -1 : 1));
    },
    async open(name) {
      if (!isBackupName(name)) return null;
      const file = client.file(`${settings.prefix}${name}`);
      const facts = await file.stat().catch(() => null);
      if (!facts) return null;
      return { bytes: facts.size, stream: file.stream() };
    },
    async remove(name) {
      await retryingS3(`S3 DELETE ${settings.prefix}${name}`, () => client.delete(`${settings.prefix}${name}`));
    },
  };
}
