// WAL checkpoints on a background thread.
//
// In WAL mode every commit appends pages to the -wal file, and a checkpoint copies them back into the database
// file. SQLite runs that copy inside the commit that crosses its threshold (wal_autocheckpoint), on the thread that
// commits: the server's event loop. It was most of a refresh-token rotation's cost (bench/README.md). Here a worker
// with its own connection does the copying every INTERVAL_MS.
//
// The worker alone cannot keep the WAL bounded: SQLite rewinds it only at a write that finds every frame copied,
// and under steady writes the server commits again while each of the worker's passes runs. So once the WAL holds
// CATCH_UP_FRAMES, the server copies the few frames committed since the worker's last pass itself (`finish`,
// between two transactions); its next write then rewinds the WAL. That catch-up ends in an fsync on the event loop,
// which every request waits for, and costs tens of ms while the disk is busy (a purge's thousands of scattered
// pages): so it runs once per CATCH_UP_FRAMES written, not after every pass, and never while a pass asked for by a
// bulk writer is under way (bench/README.md, "Scale"). SQLite's own autocheckpoint stays as the backstop, far above
// what this lets the WAL reach.
import type { Database as SQLite } from "bun:sqlite";
import { workerModule } from "../worker-module.ts";

export type CheckpointerMessage = { type: "start"; file: string; intervalMs: number } | { type: "pass"; pass: number } | { type: "stop" };
/** `walFrames`: the frames in the WAL when the pass ended (copied or not): what decides the server's catch-up. */
export type CheckpointerReply = { type: "copied"; walFrames: number } | { type: "passed"; pass: number; walFrames: number } | { type: "stopped" };

const INTERVAL_MS = 100;
/** The WAL's length (16 MiB of 4 KiB pages) past which the server catches up after a pass, so that it is rewound. */
const CATCH_UP_FRAMES = 4096;
/** The server's own checkpoint, if the worker falls behind or is gone: ~64 MiB of 4 KiB pages. */
const BACKSTOP_PAGES = 16384;
const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
/** The WAL file is truncated back to this once rewound, so a burst does not keep its disk space. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export interface Checkpointer {
  /**
   * Resolves once the worker has run a pass that began after this call: every frame committed before it is then
   * copied (unless a reader still needed it). For a bulk writer (the purge) to go no faster than the copying, so
   * that the server's own catch-up (`finish`) never has its frames to copy on the event loop.
   */
  checkpointedNow(): Promise<void>;
  /** Stops the worker and waits until its connection is closed (the server's close must be the last). */
  stop(): Promise<void>;
}

/** `finish` runs the server's own PASSIVE checkpoint when no transaction of it is open (sqlite.ts knows when). */
export function startCheckpointer(sqlite: SQLite, file: string, finish: () => void): Checkpointer {
  sqlite.run(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  sqlite.run(`PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  const worker = new Worker(workerModule("db/sqlite-checkpoint-worker.ts"));
  worker.unref(); // a timer thread must not keep the process alive
  /** Set by stop(): resolves its promise once the worker has closed its connection. */
  let resolveStop: (() => void) | null = null;
  /** The passes asked for and not yet answered, by number. */
  const asked = new Map<number, () => void>();
  let lastPass = 0;
  const answerAll = () => {
    for (const resolve of asked.values()) resolve();
    asked.clear();
  };
  const catchUp = (walFrames: number) => {
    if (resolveStop || walFrames < CATCH_UP_FRAMES) return;
    try {
      finish();
    } catch {
      // e.g. SQLITE_BUSY from another process's checkpoint: the next pass tries again.
    }
  };
  worker.onmessage = (event: MessageEvent<CheckpointerReply>) => {
    if (event.data.type === "passed") {
      // The worker is idle now (until its next timed pass): the catch-up's fsync does not queue behind its writes.
      catchUp(event.data.walFrames);
      asked.get(event.data.pass)?.();
      asked.delete(event.data.pass);
    } else if (event.data.type === "copied") {
      // While a bulk writer's pass is asked for, the worker is about to copy its pages: its answer catches up.
      if (asked.size === 0) catchUp(event.data.walFrames);
    } else if (event.data.type === "stopped") {
      answerAll();
      worker.terminate();
      resolveStop?.();
    }
  };
  // Without the worker (it could not start, or died), SQLite's own checkpoints take over at their usual threshold.
  let dead = false;
  worker.onerror = () => {
    dead = true;
    answerAll();
    worker.terminate();
    if (resolveStop) resolveStop();
    else sqlite.run(`PRAGMA wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES}`);
  };
  worker.postMessage({ type: "start", file, intervalMs: INTERVAL_MS } satisfies CheckpointerMessage);
  let stopping: Promise<void> | null = null;
  return {
    checkpointedNow() {
      if (dead || resolveStop) return Promise.resolve();
      const pass = ++lastPass;
      return new Promise<void>((resolve) => {
        asked.set(pass, resolve);
        worker.postMessage({ type: "pass", pass } satisfies CheckpointerMessage);
      });
    },
    stop() {
      if (dead) return Promise.resolve();
      stopping ??= new Promise<void>((resolve) => {
        resolveStop = resolve;
        worker.ref();
        worker.postMessage({ type: "stop" } satisfies CheckpointerMessage);
      });
      return stopping;
    },
  };
}
