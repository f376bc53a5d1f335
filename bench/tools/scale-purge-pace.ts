// How fast the start-up purge of the kept million-account seed goes while requests never stop (src/db/purge-pace.ts:
// at its slowest pace then): each build on a fresh copy of the seed, refresh then the authenticated read in turn for
// PURGE_LOAD_SECONDS (default 60) from its start, then the server is stopped (SIGSTOP) and the expired rows left are
// counted in its file. Rows a second = (rows expired at the start - rows left) / seconds from start to stop.
//
//   bun bench/tools/scale-purge-pace.ts <name>=<binary> ...     e.g. base=dist/latchkey-base new=dist/latchkey
//
// (The purge's length with no load is the log line of the copy scale-purge.ts purges for its "without" runs.)
import { Database } from "bun:sqlite";
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { ROOT, WORK } from "../lib/harness.ts";
import { rate } from "../lib/report.ts";
import { ACCOUNTS, keptSeedDir, prepare, refuseErrors, routes, startLatchkeyOn } from "../lib/scale-routes.ts";

const log = (message: string) => console.log(`[scale-purge-pace ${new Date().toISOString().slice(11, 19)}] ${message}`);
const LOAD_SECONDS = Number(process.env.PURGE_LOAD_SECONDS ?? 60);
const RUN_SECONDS = 10;
const DAY_MS = 86_400_000;

const variants = process.argv.slice(2).map((arg) => {
  const [name, bin] = arg.split("=", 2) as [string, string];
  return { name, bin: resolve(ROOT, bin) };
});
if (!existsSync(join(keptSeedDir(ACCOUNTS), "seeding.json"))) throw new Error(`no kept seed in ${keptSeedDir(ACCOUNTS)}`);

/** The rows the purge deletes (its conditions, src/core/housekeeping.ts), as of `now`. */
function expiredRows(file: string, now: number): number {
  const db = new Database(file, { readonly: true });
  try {
    const challenges = db.query<{ n: number }, [number]>("SELECT count(*) AS n FROM challenges WHERE expires_at < ?").get(now)!.n;
    const limits = db.query<{ n: number }, [number]>("SELECT count(*) AS n FROM rate_limits WHERE window_start < ?").get(now - DAY_MS)!.n;
    return challenges + limits;
  } finally {
    db.close();
  }
}

const runDir = join(WORK, "scale-purge-pace-run");
for (const variant of variants) {
  rmSync(runDir, { recursive: true, force: true });
  // The kept seed is only read: copied (-H: the directory a link names, never the link) before the server starts.
  await Bun.spawn(["cp", "-a", "-H", "--reflink=auto", keptSeedDir(ACCOUNTS), runDir]).exited;
  rmSync(join(runDir, "seeding.json"), { force: true });
  await Bun.spawn(["sync", "-f", runDir]).exited;
  const startedAt = Date.now();
  const before = expiredRows(join(runDir, "latchkey.db"), startedAt);
  const server = await startLatchkeyOn(variant.name, runDir, {}, variant.bin);
  const started = performance.now();
  try {
    const prepared = await prepare(server, true);
    const served: string[] = [];
    for (let route = 0; performance.now() - started < LOAD_SECONDS * 1000; route++) {
      const { name, run } = routes[1 + (route % 2)]!; // refresh, the authenticated read
      const result = refuseErrors(name, await run(server, prepared, RUN_SECONDS));
      served.push(`${name.split(" ")[0]} ${rate(result.rps)}`);
    }
    process.kill(server.pid, "SIGSTOP");
    const seconds = (performance.now() - started) / 1000;
    const left = expiredRows(join(runDir, "latchkey.db"), startedAt);
    const line = server.output().match(/expired rows purged.*/)?.[0];
    log(`${variant.name}: ${before - left} of ${before} expired rows purged in ${seconds.toFixed(1)} s under load (${((before - left) / seconds).toFixed(0)} rows/s); req/s ${served.join(", ")}${line ? `; ended: ${line}` : ""}`);
  } finally {
    process.kill(server.pid, "SIGKILL");
    await server.stop();
  }
}
rmSync(runDir, { recursive: true, force: true });
