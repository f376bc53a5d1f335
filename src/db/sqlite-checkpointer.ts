// WAL checkpoints on a background thread.
//
// In WAL mode every commit appends pages to the -wal file, and a checkpoint copies them back into the database
// file. SQLite runs that copy inside the commit that crosses its threshold (wal_autocheckpoint), on the thread that
// commits: the server's event loop. It was most of a refresh-token rotation's cost (bench/README.md). Here a worker
// with its own connection does the copying every INTERVAL_MS.
//
// The worker's passes alone cannot keep the WAL bounded: SQLite rewinds it only at a write that finds every frame
// copied, and under steady writes the server commits again while each pass runs. So once the WAL holds
// CATCH_UP_FRAMES, the server holds its writes back (`holdWrites`: between two transactions; its reads go on) while
// the worker copies what is left and makes the one write that rewinds the WAL (`catchUp` in the worker). That
// catch-up ends in fsyncs (the copy's, and the new WAL header's: SQLite syncs it when the WAL starts over), tens of
// ms while the disk is busy (a purge's thousands of scattered pages): on the worker, only writes wait for them, where
// run by the server they held its event loop, every request (bench/README.md, "Scale"). It runs once per
// CATCH_UP_FRAMES written, never while a pass asked for by a bulk writer is under way. SQLite's own autocheckpoint
// stays as the backstop, far above what this lets the WAL reach.
import type { Database as SQLite } from "bun:sqlite";
import { workerModule } from "../worker-module.ts";

export type CheckpointerMessage = { type: "start"; file: string; intervalMs: number } | { type: "pass"; pass: number } | { type: "catchUp" } | { type: "stop" };
/** `walFrames`: the frames in the WAL when the pass ended (copied or not): what decides the server's catch-up. */
export type CheckpointerReply =
  | { type: "copied"; walFrames: number }
  | { type: "passed"; pass: number; walFrames: number }
  | { type: "caughtUp"; walFrames: number }
  | { type: "stopped" };

const INTERVAL_MS = 100;
/** The WAL's length (16 MiB of 4 KiB pages) past which it is rewound after a pass (the catch-up). */
const CATCH_UP_FRAMES = 4096;
/**
 * The same while a bulk writer (the purge) asks for passes, 64 MiB: it writes thousands of frames a second, and
 * each catch-up holds every write back for its fsyncs, so four times fewer of them.
 */
const BULK_CATCH_UP_FRAMES = 16384;
/** How long after its last asked-for pass a bulk writer counts as under way. */
const BULK_QUIET_MS = 1000;
/** The server's own checkpoint, if the worker falls behind or is gone: ~128 MiB of 4 KiB pages. */
const BACKSTOP_PAGES = 32768;
const SQLITE_DEFAULT_AUTOCHECKPOINT_PAGES = 1000;
/** The WAL file is truncated back to this once rewound, so a burst does not keep its disk space. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

export interface Checkpointer {
  /**
   * Resolves once the worker has run a pass that began after this call: every frame committed before it is then
   * copied (unless a reader still needed it). For a bulk writer (the purge) to go no faster than the copying, so
   * that the catch-up, which holds the server's writes back, never has its frames to copy.
   */
  checkpointedNow(): Promise<void>;
  /** Stops the worker and waits until its connection is closed (the server's close must be the last). */
  stop(): Promise<void>;
}

/**
 * `holdWrites` runs `work` once no transaction of the server's connection is open, and holds its writes back until
 * `work` has settled (sqlite.ts keeps the gate).
 */
export function startCheckpointer(sqlite: SQLite, file: string, holdWrites: (work: () => Promise<void>) => void): Checkpointer {
  sqlite.run(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  sqlite.run(`PRAGMA journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  const worker = new Worker(workerModule("db/sqlite-checkpoint-worker.ts"));
  worker.unref(); // a timer thread must not keep the process alive
  /** Set by stop(): resolves its promise once the worker has closed its connection. */
  let resolveStop: (() => void) | null = null;
  /** Set once the worker could not start or died. */
  let dead = false;
  /** The passes asked for and not yet answered, by number. */
  const asked = new Map<number, () => void>();
  let lastPass = 0;
  /** Until when a bulk writer counts as under way (performance.now()). */
  let bulkUntil = 0;
  /** Set while a catch-up is under way: resolves the server's held writes when the worker answers. */
  let caughtUp: (() => void) | null = null;
  const answerAll = () => {
    for (const resolve of asked.values()) resolve();
    asked.clear();
    caughtUp?.();
    caughtUp = null;
  };
  const catchUp = (walFrames: number) => {
    const threshold = performance.now() < bulkUntil ? BULK_CATCH_UP_FRAMES : CATCH_UP_FRAMES;
    if (resolveStop || dead || caughtUp || walFrames < threshold) return;
    const answered = new Promise<void>((resolve) => (caughtUp = resolve));
    holdWrites(() => {
      if (caughtUp && !resolveStop && !dead) worker.postMessage({ type: "catchUp" } satisfies CheckpointerMessage);
      else answerAll();
      return answered;
    });
  };
  worker.onmessage = (event: MessageEvent<CheckpointerReply>) => {
    if (event.data.type === "passed") {
      // The bulk writer that asked waits for this answer: the catch-up copies only what the requests wrote meanwhile.
      catchUp(event.data.walFrames);
      asked.get(event.data.pass)?.();
      asked.delete(event.data.pass);
    } else if (event.data.type === "copied") {
      // While a bulk writer is under way, only the answers to its passes catch up: it waits for them, so what is left
      // to copy then is what the requests wrote meanwhile, not its thousands of pages.
      if (asked.size === 0 && performance.now() >= bulkUntil) catchUp(event.data.walFrames);
    } else if (event.data.type === "caughtUp") {
      caughtUp?.();
      caughtUp = null;
    } else if (event.data.type === "stopped") {
      answerAll();
      worker.terminate();
      resolveStop?.();
    }
  };
  // Without the worker (it could not start, or died), SQLite's own checkpoints take over at their usual threshold.
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
      bulkUntil = performance.now() + BULK_QUIET_MS;
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
