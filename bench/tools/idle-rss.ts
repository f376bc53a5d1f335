// Start-up and idle RSS of one or more latchkey binaries, in turns (issue 29's "idle RSS after start-up <= 80 MB").
// Measured as bench/run.ts's startUp() does: the binary on an empty data dir, `/healthz` polled every ms until the
// first 200, then VmRSS 2 s later. `bun bench/tools/idle-rss.ts name=/path/to/bin [name2=/path ...]` (a bare path is
// named after its file); RSS_ROUNDS (default 5) rounds, the binaries in order and in reverse every other round.
// RSS_ENV=KEY=VALUE,KEY=VALUE adds settings to every start. Prints each run, then per binary the medians of: the
// start-up, the main thread's CPU time at the first 200, the CPU time of all threads when RSS was read, VmRSS and its
// RssAnon/RssFile parts (anonymous memory: heaps, JIT code; file-backed: the binary's pages that were touched).
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { WORK, freePort, log } from "../lib/harness.ts";
import { median } from "../lib/report.ts";

interface Sample {
  startMs: number;
  /**
   * CPU time of the main thread at the first 200: the start-up work on the path to it, which on a shared machine
   * says more than the wall time (background JIT threads run beside it).
   */
  mainCpuMs: number;
  /** CPU time the process (all its threads) had used by the time RSS was read: start-up's cost, less noisy than ms. */
  cpuMs: number;
  rss: number;
  anon: number;
  file: number;
}

const ROUNDS = Number(process.env.RSS_ROUNDS ?? 5);
const extraEnv = Object.fromEntries(
  (process.env.RSS_ENV ?? "").split(",").filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
);
// Absolute: each binary runs in its own data dir.
const binaries = process.argv.slice(2).map((arg) => (arg.includes("=") ? { name: arg.slice(0, arg.indexOf("=")), path: resolve(arg.slice(arg.indexOf("=") + 1)) } : { name: basename(arg), path: resolve(arg) }));
if (binaries.length === 0) throw new Error("usage: bun bench/tools/idle-rss.ts name=/path/to/binary ...");

/** A field of /proc/<pid>/status in bytes (the kernel writes kB). */
function statusBytes(status: string, field: string): number {
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

const TICKS_PER_SECOND = 100;
/** utime + stime of /proc/<pid>/stat (the process's threads), or of one thread's /proc/<pid>/task/<tid>/stat, in ms. */
function cpuMsOf(pid: number, thread?: number): number {
  const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

async function startOnce(path: string, attempt: number): Promise<Sample> {
  const dataDir = join(WORK, `idle-rss-${attempt}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/healthz`;
  const started = performance.now();
  const child = Bun.spawn([path, "serve"], {
    cwd: dataDir,
    env: { PATH: process.env.PATH ?? "", HOME: dataDir, HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir, ...extraEnv },
    stdin: "ignore",
    stdout: "ignore",
    stderr: "ignore",
  });
  let startMs = Number.NaN;
  let mainCpuMs = Number.NaN;
  while (performance.now() - started < 20_000) {
    try {
      if ((await fetch(url)).status === 200) {
        startMs = performance.now() - started;
        mainCpuMs = cpuMsOf(child.pid, child.pid);
        break;
      }
    } catch {
      await Bun.sleep(1);
    }
  }
  await Bun.sleep(2000);
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const cpuMs = cpuMsOf(child.pid);
  child.kill("SIGTERM");
  await child.exited;
  rmSync(dataDir, { recursive: true, force: true });
  if (Number.isNaN(startMs)) throw new Error(`${path} did not answer /healthz within 20 s`);
  return { startMs, mainCpuMs, cpuMs, rss: statusBytes(status, "VmRSS"), anon: statusBytes(status, "RssAnon"), file: statusBytes(status, "RssFile") };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const samples = new Map<string, Sample[]>(binaries.map(({ name }) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? binaries : [...binaries].reverse();
  for (const { name, path } of order) {
    const sample = await startOnce(path, round);
    samples.get(name)!.push(sample);
    log(`round ${round + 1} ${name}: ${sample.startMs.toFixed(0)} ms (main thread CPU ${sample.mainCpuMs} ms; all CPU at idle ${sample.cpuMs} ms), RSS ${mb(sample.rss)} (anon ${mb(sample.anon)}, file ${mb(sample.file)})`);
  }
}
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(`\nmedians of ${ROUNDS} rounds (load average ${load}):`);
for (const { name } of binaries) {
  const runs = samples.get(name)!;
  const pick = (key: keyof Sample) => median(runs.map((sample) => sample[key]));
  console.log(`${name}: start-up ${pick("startMs").toFixed(0)} ms (main thread CPU ${pick("mainCpuMs").toFixed(0)} ms; all CPU at idle ${pick("cpuMs").toFixed(0)} ms), idle RSS ${mb(pick("rss"))} (anon ${mb(pick("anon"))}, file ${mb(pick("file"))})`);
}
