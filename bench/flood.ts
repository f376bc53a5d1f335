// Fair under a flood (issue 29, item 5), checkouts side by side: while 200 connections from 50 client addresses send
// wrong passwords as fast as they can, how long does a right password from another address take (p99), and /healthz
// (p99)? Runs each contender in alternating rounds (A B, then B A ...), each latchkey from source on a fresh data dir;
// what is measured and how: bench/lib/flood.ts.
//
//   bun bench/flood.ts <checkout> [<checkout> | floor ...]     e.g. a `git archive` of main in /tmp, and .
//
// `floor` is bench/ref/flood-floor.ts, a bare Bun.serve that refuses at once. FLOOD_SECONDS (default 10) per run,
// FLOOD_ROUNDS (default 2). FLOOD_PIN=1 pins the server to CPU 0 and the flood and this process to CPU 1 (taskset).
import { spawn, type Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FLOOD_SERVER_ENV, floodAnswers, percentile, pinned, registerOwner, underFlood, type FloodRun } from "./lib/flood.ts";
import { median } from "./lib/report.ts";

const seconds = Number(process.env.FLOOD_SECONDS ?? 10);
const rounds = Number(process.env.FLOOD_ROUNDS ?? 2);
const pin = process.env.FLOOD_PIN === "1";
const SERVER_CPUS = pin ? "0" : undefined;
const CLIENT_CPUS = pin ? "1" : undefined;

interface Round extends FloodRun {
  side: string;
}

const sides = process.argv.slice(2).map((arg) => (arg === "floor" ? arg : resolve(arg)));
if (sides.length === 0) throw new Error("usage: bun bench/flood.ts <checkout> [<checkout> | floor ...]");
if (pin) await spawn(["taskset", "-cp", CLIENT_CPUS!, String(process.pid)], { stdout: "ignore" }).exited;
console.log(`load average: ${(await Bun.file("/proc/loadavg").text()).trim()}${pin ? "; server on CPU 0, clients on CPU 1" : ""}`);
const results: Round[] = [];
for (let round = 0; round < rounds; round++) {
  for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
    const result = { side, ...(await measure(side)) };
    console.log(summary(result));
    results.push(result);
  }
}
for (const side of sides) {
  const mine = results.filter((result) => result.side === side);
  const med = (pick: (r: Round) => number) => median(mine.map(pick)).toFixed(1);
  console.log(
    `${side}: right login p99 ${med(loginP99)} ms (rounds: ${mine.map((r) => loginP99(r).toFixed(0)).join(", ")}), ` +
      `/healthz p99 ${med(healthzP99)} ms (rounds: ${mine.map((r) => healthzP99(r).toFixed(1)).join(", ")}), ` +
      `event loop CPU a flood answer ${med(loopMicros)} us`,
  );
}
console.log(`load average: ${(await Bun.file("/proc/loadavg").text()).trim()}`);

function loginP99(run: FloodRun): number {
  return percentile(run.loginMs, 0.99);
}
function healthzP99(run: FloodRun): number {
  return percentile(run.healthzMs, 0.99);
}
/** The server's event-loop CPU per answer it gave the flood (µs), over the measured part. */
function loopMicros(run: FloodRun): number {
  const answers = Object.values(run.flood).reduce((sum, count) => sum + count, 0);
  return run.serverLoopCpuSeconds === null ? NaN : (run.serverLoopCpuSeconds * 1e6) / (answers * (run.measuredSeconds / seconds));
}

function summary(run: Round): string {
  return (
    `${run.side}: right login p99 ${loginP99(run).toFixed(0)} ms (${run.loginMs.length} logins, ${run.loginFailures} refused), ` +
    `/healthz p99 ${healthzP99(run).toFixed(1)} ms (${run.healthzMs.length}), flood ${floodAnswers(run.flood)}, loop ${loopMicros(run).toFixed(0)} us an answer`
  );
}

async function measure(side: string): Promise<FloodRun> {
  const dataDir = mkdtempSync(join(tmpdir(), "latchkey-flood-"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const cmd = side === "floor" ? [process.execPath, join(import.meta.dir, "ref/flood-floor.ts")] : [process.execPath, "src/main.ts"];
  const server = spawn(pinned(cmd, SERVER_CPUS), {
    cwd: side === "floor" ? import.meta.dir : side,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir, ...FLOOD_SERVER_ENV },
    stdout: "ignore",
    // Errors only (LOG_LEVEL=error): shown, and a pipe nobody reads cannot fill up and stall the server.
    stderr: "inherit",
  });
  try {
    await waitUntilUp(url);
    await registerOwner(url);
    // taskset execs the server: the pid spawned is the server's.
    return await underFlood(url, seconds, { floodCpus: CLIENT_CPUS, serverPid: server.pid });
  } finally {
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function waitUntilUp(url: string): Promise<void> {
  for (let tries = 0; tries < 1200; tries++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(50);
  }
  throw new Error(`${url} did not come up`);
}

async function stop(server: Subprocess): Promise<void> {
  server.kill("SIGTERM");
  await Promise.race([server.exited, Bun.sleep(5000)]);
  if (server.exitCode === null) server.kill("SIGKILL");
}
