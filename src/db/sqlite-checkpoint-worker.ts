// Entry point of the SQLite checkpoint thread (sqlite-checkpointer.ts starts it): copies the WAL back into the
// database file on its own connection, so the server's event loop does not spend its time on that copy.
import { Database } from "bun:sqlite";
import type { CheckpointerMessage, CheckpointerReply } from "./sqlite-checkpointer.ts";

declare const self: Worker;

let db: Database | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

/**
 * PASSIVE never waits for (or blocks) the server's writer: it copies the frames committed when it began. Answers
 * the WAL's length, from which the server decides whether to copy what was committed meanwhile itself.
 */
function checkpoint(): { walFrames: number; copied: boolean } {
  const result = db?.query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(PASSIVE)").get();
  return { walFrames: Math.max(0, result?.log ?? 0), copied: (result?.checkpointed ?? 0) > 0 };
}

self.onmessage = (event: MessageEvent<CheckpointerMessage>) => {
  const message = event.data;
  if (message.type === "start") {
    db = new Database(message.file);
    timer = setInterval(() => {
      try {
        const pass = checkpoint();
        if (pass.copied) self.postMessage({ type: "copied", walFrames: pass.walFrames } satisfies CheckpointerReply);
      } catch {
        // SQLITE_BUSY and the like: the next tick tries again, and the server's own autocheckpoint is the backstop.
      }
    }, message.intervalMs);
  } else if (message.type === "pass") {
    // Asked for by the server (checkpointedNow in sqlite-checkpointer.ts): a pass now, answered even when it fails
    // or finds nothing to copy, so that the one waiting for it goes on.
    let walFrames = 0;
    try {
      walFrames = checkpoint().walFrames;
    } catch {
      // as above
    }
    self.postMessage({ type: "passed", pass: message.pass, walFrames } satisfies CheckpointerReply);
  } else {
    if (timer) clearInterval(timer);
    db?.close();
    db = null;
    self.postMessage({ type: "stopped" } satisfies CheckpointerReply);
  }
};
