// A consistent copy of a SQLite database while other connections (the server's) go on writing: VACUUM INTO on a
// connection of its own, a read transaction, so the copy is the database as of one commit. Never a copy of the file,
// which could catch a page half-written or miss what is still in the WAL. It runs on a worker thread: VACUUM INTO is
// one synchronous call that takes a moment per MB, and in the server it would stop every request that long.
import { workerModule } from "../worker-module.ts";

export type SnapshotMessage = { file: string; into: string };
export type SnapshotReply = { ok: true } | { ok: false; error: string };

/** Writes the copy of `file` to `into` (which must not exist); rejects with SQLite's error. */
export function snapshotSqlite(file: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerModule("db/sqlite-snapshot-worker.ts"));
    worker.onmessage = (event: MessageEvent<SnapshotReply>) => {
      worker.terminate();
      if (event.data.ok) resolve();
      else reject(new Error(`database snapshot: ${event.data.error}`));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`database snapshot: ${event.message}`));
    };
    worker.postMessage({ file, into } satisfies SnapshotMessage);
  });
}
