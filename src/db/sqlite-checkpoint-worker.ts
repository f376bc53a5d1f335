// Entry point of the SQLite checkpoint thread (sqlite-checkpointer.ts starts it): copies the WAL back into the
// database file on its own connection, so the server's event loop does not spend its time on that copy.
import { Database } from "bun:sqlite";
import type { CheckpointerMessage, CheckpointerReply } from "./sqlite-checkpointer.ts";

declare const self: Worker;

let db: Database | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

/**
 * PASSIVE never waits for (or blocks) the server's writer: it copies the frames committed when it began. Only the
 * timed passes tell the server (which then copies what was committed meanwhile, with an fsync on its event loop):
 * a pass asked for after each slice of a purge told it too, and the server's fsyncs went from ~10 to ~110 a second.
 */
function checkpoint(options: { tellServer: boolean }): void {
  const result = db?.query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(PASSIVE)").get();
  if (options.tellServer && result && result.checkpointed > 0) self.postMessage({ type: "copied", frames: result.checkpointed } satisfies CheckpointerReply);
}

self.onmessage = (event: MessageEvent<CheckpointerMessage>) => {
  const message = event.data;
  if (message.type === "start") {
    db = new Database(message.file);
    timer = setInterval(() => {
      try {
        checkpoint({ tellServer: true });
      } catch {
        // SQLITE_BUSY and the like: the next tick tries again, and the server's own autocheckpoint is the backstop.
      }
    }, message.intervalMs);
  } else if (message.type === "pass") {
    // Asked for by the server (checkpointedNow in sqlite-checkpointer.ts): a pass now, answered even when it fails
    // or finds nothing to copy, so that the one waiting for it goes on.
    try {
      checkpoint({ tellServer: false });
    } catch {
      // as above
    }
    self.postMessage({ type: "passed", pass: message.pass } satisfies CheckpointerReply);
  } else {
    if (timer) clearInterval(timer);
    db?.close();
    db = null;
    self.postMessage({ type: "stopped" } satisfies CheckpointerReply);
  }
};
