// Refresh and the authenticated read on the purged million-account copy (bench/tools/scale-purge.ts makes it), with
// two values of SQLITE_CACHE_MB side by side in rounds (A B, B A ...): what SQLite's page cache is worth at scale,
// in throughput and in CPU time per request (from /proc, so that other work on the machine counts less).
//
//   bun bench/tools/scale-cache.ts [cacheA] [cacheB]        (default 2 64: SQLite's own default against latchkey's)
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BIN, contest, ROUNDS, SECONDS, WORK, type Server } from "../lib/harness.ts";
import { ms, rate } from "../lib/report.ts";
import { prepare, routes, startLatchkeyOn } from "../lib/scale-routes.ts";

const [cacheA = "2", cacheB = "64"] = process.argv.slice(2);
const purgedDir = join(WORK, "scale-purge-purged");
const log = (message: string) => console.log(`[scale-cache ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** CPU time of a process so far, in ms (utime + stime of /proc/<pid>/stat, 100 ticks a second). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const servers: { name: string; server: Server; dir: string }[] = [];
try {
  for (const cache of [cacheA, cacheB]) {
    const dir = join(WORK, `scale-cache-${cache}`);
    rmSync(dir, { recursive: true, force: true });
    await Bun.spawn(["cp", "-a", "--reflink=auto", purgedDir, dir]).exited;
    servers.push({ name: `SQLITE_CACHE_MB=${cache}`, server: await startLatchkeyOn(`cache ${cache}`, dir, { SQLITE_CACHE_MB: cache }, BIN), dir });
  }
  for (const route of [routes[1]!, routes[2]!]) {
    const cpu: Record<string, number[]> = {};
    const contenders = await Promise.all(
      servers.map(async ({ name, server }) => {
        const prepared = await prepare(server, true);
        return {
          name,
          pid: server.pid,
          warmup: () => route.run(server, prepared, 3),
          measure: async () => {
            const before = cpuMs(server.pid);
            const result = await route.run(server, prepared, SECONDS);
            (cpu[name] ??= []).push((cpuMs(server.pid) - before) / (result.rps * SECONDS));
            return result;
          },
        };
      }),
    );
    const loads = await contest(route.name, contenders, ROUNDS);
    const [a, b] = servers.map(({ name }) => name) as [string, string];
    const ratios = loads[b]!.runs.map((run, i) => run.rps / loads[a]!.runs[i]!.rps);
    const median = (list: number[]) => [...list].sort((x, y) => x - y)[Math.floor((list.length - 1) / 2)]!;
    for (const name of [a, b]) {
      log(`${route.name}: ${name}: ${rate(loads[name]!.wrk.rps)} req/s, p99 ${ms(loads[name]!.wrk.p99Ms)}, CPU per request ${cpu[name]!.map((c) => `${(c * 1000).toFixed(0)} us`).join(", ")}`);
    }
    log(`${route.name}: ${b} against ${a}: rounds ${ratios.map((r) => `${(r * 100).toFixed(0)}%`).join(", ")}, median ${(median(ratios) * 100).toFixed(0)}%`);
  }
} finally {
  for (const { server, dir } of servers) {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
