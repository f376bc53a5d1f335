// p99 of refresh and the authenticated read while the start-up purge of a seeded million-account database runs,
// for several builds or settings in alternating rounds (issue 29: "the hourly purge does not raise p99 above 2x").
// bench/scale.ts measures one purge per run; this measures only the purge's first seconds, against a copy of the
// kept seed each time (`bash bench/run.sh --scale --reuse-seed` makes it, or bench/lib/scale-routes.ts's
// seededDataDir), and the same routes on a purged copy for the p99 without a purge.
//
//   bun bench/tools/scale-purge.ts <name>=<binary>[,SETTING=value...] ...     e.g. base=dist/latchkey-base new=dist/latchkey
//
// BENCH_ROUNDS (default 2) rounds, in A B, B A order; BENCH_SECONDS (default 10) each route. PURGE_STRACE=1 also
// counts the fsyncs of the server's main thread (the event loop) while the routes run during the purge, with strace.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { ROOT, ROUNDS, SECONDS, WORK, type Server } from "../lib/harness.ts";
import { ms, rate } from "../lib/report.ts";
import { ACCOUNTS, keptSeedDir, prepare, purgeLine, refuseErrors, routes, seededDataDir, startLatchkeyOn } from "../lib/scale-routes.ts";

const log = (message: string) => console.log(`[scale-purge ${new Date().toISOString().slice(11, 19)}] ${message}`);
const measured = [routes[1]!, routes[2]!]; // refresh, the authenticated read

interface Variant {
  name: string;
  bin: string;
  env: Record<string, string>;
}

const variants: Variant[] = process.argv.slice(2).map((arg) => {
  const [name, rest] = arg.split("=", 2) as [string, string];
  const [bin, ...settings] = rest.split(",");
  return { name, bin: resolve(ROOT, bin!), env: Object.fromEntries(settings.map((setting) => setting.split("=", 2) as [string, string])) };
});
if (variants.length === 0) {
  console.error("usage: bun bench/tools/scale-purge.ts <name>=<binary>[,SETTING=value...] ...");
  process.exit(2);
}
if (!existsSync(join(keptSeedDir(ACCOUNTS), "seeding.json"))) throw new Error(`no kept seed in ${keptSeedDir(ACCOUNTS)}: run bash bench/run.sh --scale --reuse-seed once`);

const STRACE = process.env.PURGE_STRACE === "1";

/** strace of the main thread only (its tid is the pid): its fsyncs are what every request waits for. */
function straceMainThread(pid: number, file: string): () => Promise<string> {
  const child = Bun.spawn(["strace", "-p", String(pid), "-T", "-e", "trace=fsync,fdatasync", "-o", file], { stdout: "ignore", stderr: "ignore" });
  return async () => {
    child.kill("SIGINT");
    await child.exited;
    const times = [...(await Bun.file(file).text()).matchAll(/<([0-9.]+)>/g)].map((match) => Number(match[1]) * 1000);
    const total = times.reduce((sum, time) => sum + time, 0);
    return `main-thread fsyncs ${times.length}, ${(total / 1000).toFixed(2)} s in all, max ${Math.max(0, ...times).toFixed(1)} ms`;
  };
}

/** CPU time of the server's main thread (the event loop; its tid is the pid) so far, in microseconds. */
function mainThreadCpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / 100); // utime + stime, in ticks of 1/100 s
}

async function routesOn(server: Server, seeded: boolean, strace: boolean): Promise<Record<string, { p99: number; rps: number; cpuUs: number; purging: boolean }>> {
  const prepared = await prepare(server, seeded);
  const out: Record<string, { p99: number; rps: number; cpuUs: number; purging: boolean }> = {};
  const stopStrace = strace ? straceMainThread(server.pid, join(WORK, "scale-purge-strace.txt")) : null;
  for (const route of measured) {
    // The event loop's CPU per request: the purge's share of it shows whatever else loads the machine (p99 does not).
    const cpuBefore = mainThreadCpuUs(server.pid);
    const result = refuseErrors(route.name, await route.run(server, prepared, SECONDS));
    const cpuUs = (mainThreadCpuUs(server.pid) - cpuBefore) / Math.max(1, result.requests);
    out[route.name] = { p99: result.p99Ms, rps: result.rps, cpuUs, purging: !purgeLine(server) };
  }
  if (stopStrace) log(`${server.name}: ${await stopStrace()}`);
  return out;
}

const runDir = join(WORK, "scale-purge-run");
const purgedDir = join(WORK, `scale-purge-purged-${ACCOUNTS}`); // one per seed size

// The p99 without a purge: a copy purged once (by the last variant), then each variant on a copy of it.
if (!existsSync(join(purgedDir, "latchkey.db"))) {
  await seededDataDir(purgedDir, ACCOUNTS, { reuse: true, log });
  const last = variants.at(-1)!;
  const server = await startLatchkeyOn("purging", purgedDir, last.env, last.bin);
  while (!purgeLine(server)) await Bun.sleep(500);
  const [, rows, took] = purgeLine(server)!;
  log(`purged copy made by ${last.name}: ${rows} rows in ${(Number(took) / 1000).toFixed(1)} s`);
  await server.stop();
}

const figures: Record<string, { during: Record<string, number[]>; without: Record<string, number[]> }> = {};
for (const variant of variants) figures[variant.name] = { during: {}, without: {} };
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
    for (const purging of [true, false]) {
      rmSync(runDir, { recursive: true, force: true });
      await Bun.spawn(["cp", "-a", "-H", "--reflink=auto", purging ? keptSeedDir(ACCOUNTS) : purgedDir, runDir]).exited; // -H: scale-routes.ts's copyDir
      // The copy's gigabytes written back during the run would slow every fsync measured in it.
      await Bun.spawn(["sync", "-f", runDir]).exited;
      const server = await startLatchkeyOn(variant.name, runDir, variant.env, variant.bin);
      try {
        const results = await routesOn(server, true, STRACE && purging);
        for (const [route, result] of Object.entries(results)) {
          const into = purging ? figures[variant.name]!.during : figures[variant.name]!.without;
          (into[route] ??= []).push(result.p99);
          log(`round ${round + 1} ${variant.name} ${purging ? "during the purge" : "without a purge"}: ${route}: p99 ${ms(result.p99)}, ${rate(result.rps)} req/s, event loop ${result.cpuUs.toFixed(0)} us CPU a request${purging && !result.purging ? " (the purge ended)" : ""}`);
        }
      } finally {
        process.kill(server.pid, "SIGKILL"); // a purge under way is not waited for: the copy is thrown away
        await server.stop();
      }
    }
  }
}
rmSync(runDir, { recursive: true, force: true });

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor((list.length - 1) / 2)]!;
for (const variant of variants) {
  for (const route of measured) {
    const during = figures[variant.name]!.during[route.name]!;
    const without = figures[variant.name]!.without[route.name]!;
    const ratios = during.map((p99, i) => p99 / without[i]!);
    log(`${variant.name}: ${route.name}: p99 during ${during.map(ms).join(", ")}; without ${without.map(ms).join(", ")}; ratios ${ratios.map((r) => r.toFixed(2)).join(", ")}, median ${median(ratios).toFixed(2)}x`);
  }
}
