// Entry point of the snapshot thread (sqlite-snapshot.ts starts it): one VACUUM INTO, then it is ended.
import { Database } from "bun:sqlite";
import type { SnapshotMessage, SnapshotReply } from "./sqlite-snapshot.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<SnapshotMessage>) => {
  const { file, into } = event.data;
  let reply: SnapshotReply;
  try {
    const db = new Database(file, { readwrite: true, create: false });
    try {
      // The server's writer may hold the lock for a moment: wait as it would rather than fail with SQLITE_BUSY.
      db.run("PRAGMA busy_timeout = 5000");
      db.run("VACUUM INTO ?", [into]);
    } finally {
      db.close();
    }
    reply = { ok: true };
  } catch (error) {
    reply = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  self.postMessage(reply);
};
