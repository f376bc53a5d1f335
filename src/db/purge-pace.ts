// How long the SQLite purge (repositories/housekeeping.ts) waits between two of its slices: its share of the event
// loop follows the requests, as PostgreSQL's autovacuum cost delay does. A slice runs on the event loop, so every
// request that arrives during it waits for it; and its WAL frames are copied by the checkpoint thread meanwhile, or,
// when that falls behind, by the server's catch-up on the event loop, which holds every write. So:
// - while no request comes, the purge goes at its full pace: a pause of twice the slice's time (a third of the loop);
// - once a request came during the last pause, one slice per BUSY_PAUSE_MS: requests then meet a slice in a few per
//   cent of their arrivals instead of a third, and the purge's frames are few enough for the checkpoint thread to
//   copy them between two of its passes. That pace is also the purge's minimum, so it ends under constant load too
//   (bench/README.md, "Scale": its rows a second idle and under load).
// The signal is `requestsStarted`, a count the server bumps per request (db/ knows nothing of HTTP). Not how late the
// pause's timer fires: on a machine shared with other processes a timer is late without any request, and the purge
// would then go at its slowest for no one.

/** The pause between slices while requests are being served. */
export const BUSY_PAUSE_MS = 75;

export interface PurgePace {
  /** Waits before the next slice, `tookMs` being the time the last one took. */
  pause(tookMs: number): Promise<void>;
  /** Slices so far, and how many of them were followed by a busy pause (for the purge's log line). */
  counts(): { slices: number; yielded: number };
}

/** `requestsStarted`: a count that grows with each request received; without it (tests, the CLI) always full pace. */
export function createPurgePace(requestsStarted: () => number = () => 0): PurgePace {
  let busy = false;
  let slices = 0;
  let yielded = 0;
  return {
    async pause(tookMs) {
      slices++;
      if (busy) yielded++;
      const before = requestsStarted();
      // A request that arrived during the slice is received now, after it: counted in this pause too.
      await new Promise<void>((resolve) => setTimeout(resolve, busy ? BUSY_PAUSE_MS : Math.max(1, 2 * tookMs)));
      busy = requestsStarted() !== before;
    },
    counts: () => ({ slices, yielded }),
  };
}
