// Entry point of the SQLite checkpoint thread (sqlite-checkpointer.ts starts it): copies the WAL back into the
// database file on its own connection, so the server's event loop does not spend its time on that copy.
import { Database } from "bun:sqlite";
import type { CheckpointerMessage, CheckpointerReply } from "./sqlite-checkpointer.ts";

declare const self: Worker;

let db: Database | null = null;
/**
 * A read transaction held open on a second connection, renewed before each pass (so it never keeps a pass from
 * copying a frame): SQLite rewinds the WAL at a write only when no reader holds an older snapshot, so while it is
 * held the server's writes never rewind it, and never fsync the new WAL header on the event loop. The WAL is
 * rewound only by `catchUp`, which lets go of it first.
 */
let pin: Database | null = null;
let timer: ReturnType<typeof setInterval> | null = null;

function unpin(): void {
  if (pin?.inTransaction) pin.run("COMMIT");
}

function repin(): void {
  if (!pin) return;
  unpin();
  pin.run("BEGIN");
  pin.query("SELECT 1 FROM sqlite_master LIMIT 1").get(); // a deferred BEGIN reads (and pins) at its first statement
}

/**
 * PASSIVE never waits for (or blocks) the server's writer: it copies the frames committed when it began. Answers
 * the WAL's length, from which the server decides whether to have the WAL rewound (`catchUp`).
 */
function checkpoint(): { walFrames: number; copied: boolean } {
  repin();
  const result = db?.query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(PASSIVE)").get();
  return { walFrames: Math.max(0, result?.log ?? 0), copied: (result?.checkpointed ?? 0) > 0 };
}

/**
 * Rewinds the WAL, asked for while the server holds its writes back (sqlite-checkpointer.ts says why here). RESTART
 * copies every frame and then waits (busy_timeout, on this thread) until no reader still reads from the WAL; SQLite
 * rewinds a WAL only at the next write, and writes the new WAL header with an fsync then: the one write that
 * follows is ours, so that fsync is this thread's too. It rewrites user_version with its own value: a page written,
 * nothing changed.
 */
function catchUp(): number {
  if (!db) return 0;
  unpin();
  try {
    const result = db.query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(RESTART)").get();
    if (!result || result.busy !== 0 || result.log !== result.checkpointed) return Math.max(0, result?.log ?? 0);
    const rewind = db.transaction(() => {
      const { user_version } = db!.query<{ user_version: number }, []>("PRAGMA user_version").get()!;
      db!.run(`PRAGMA user_version = ${Number(user_version)}`);
    });
    rewind.immediate();
    return 1;
  } finally {
    repin();
  }
}

self.onmessage = (event: MessageEvent<CheckpointerMessage>) => {
  const message = event.data;
  if (message.type === "start") {
    db = new Database(message.file);
    // Its commits (the rewind's one page) need no fsync of their own: the server's connection is NORMAL too.
    db.run("PRAGMA synchronous = NORMAL");
    // What RESTART waits for: the server's reads of the moment (one turn of its event loop), or a CLI command's.
    db.run("PRAGMA busy_timeout = 1000");
    pin = new Database(message.file);
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
  } else if (message.type === "catchUp") {
    // Answered whatever happens: the server's writes wait for the answer.
    let walFrames = 0;
    try {
      walFrames = catchUp();
    } catch {
      // SQLITE_BUSY (a CLI command's long read or write): the WAL stays as it is until the next catch-up.
    }
    self.postMessage({ type: "caughtUp", walFrames } satisfies CheckpointerReply);
  } else {
    if (timer) clearInterval(timer);
    unpin();
    pin?.close();
    pin = null;
    db?.close();
    db = null;
    self.postMessage({ type: "stopped" } satisfies CheckpointerReply);
  }
};
