// Fair under a flood (issue 29, item 5), the parts bench/flood.ts (two checkouts in turns) and bench/run.ts (the
// table's rows) share: while CONNECTIONS connections from ADDRESSES client addresses send wrong passwords as fast as
// they can, a right password from another address signs in every 100 ms and /healthz is asked every 10 ms; how long
// do they take (p99)?
//
// Client addresses are X-Forwarded-For values behind TRUSTED_PROXIES=127.0.0.1 (the flood's are 203.0.113.0/24,
// TEST-NET-3; every packet goes to 127.0.0.1). The guess limits are raised (FLOOD_SERVER_ENV), as for a botnet with
// more addresses than the limits reach: with the defaults an address is refused by the guess counters after 50 tries,
// before any hash, and the hash pool is never saturated. The flood runs in a child process (bench/lib/flood-client.ts);
// the owner's logins and /healthz are measured from the calling one. `cpus` pins a process with taskset (the flood
// client shares the machine's 2 cores with the server; pinned, each has its own).
import { spawn } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, ROOT, ROUNDS, SECONDS, freePort, log, startLatchkey, startServer } from "./harness.ts";
import { median, ms, type Row } from "./report.ts";

export const FLOOD_CONNECTIONS = 200;
export const FLOOD_ADDRESSES = 50;
export const OWNER = { email: "owner@example.com", password: "owner-password-1", ip: "198.51.100.20" };
/** What latchkey runs with under the flood, beside its defaults. */
export const FLOOD_SERVER_ENV: Record<string, string> = {
  TRUSTED_PROXIES: "127.0.0.1",
  RATE_LIMIT_MAX_PER_IP: "1000000",
  RATE_LIMIT_MAX_PER_ACCOUNT_AND_IP: "100000",
  RATE_LIMIT_MAX_PER_ACCOUNT: "100000",
  RATE_LIMIT_DELAY_AFTER: "100000",
  LOG_LEVEL: "error",
};
/** The first seconds of a flood are not measured: the queue fills. */
const SETTLE_MS = 2000;

/** Each right login comes from an address of its own (198.51.100.1-250): people signing in, not a client in a loop. */
const ownerAddress = (n: number) => `198.51.100.${1 + (n % 250)}`;

/** `cmd` under taskset when `cpus` is given ("0", "1", "0-1"). */
export const pinned = (cmd: string[], cpus?: string): string[] => (cpus ? ["taskset", "-c", cpus, ...cmd] : cmd);

export interface FloodRun {
  /** Each right login's time (ms); Infinity for one that was refused (the owner did not get in). */
  loginMs: number[];
  loginFailures: number;
  healthzMs: number[];
  /** The flood's answers by status (0: a failed connection). */
  flood: Record<string, number>;
  /** CPU seconds of the server's main thread (its event loop) over the measured part, when its pid is given. */
  serverLoopCpuSeconds: number | null;
  measuredSeconds: number;
}

/** Registers the owner, whose right password the measured logins use (once per data dir). */
export async function registerOwner(url: string): Promise<void> {
  const registered = await post(url, "/auth/register", { email: OWNER.email, password: OWNER.password });
  if (registered.status !== 200) throw new Error(`register: ${registered.status}`);
}

/** One flood of `seconds`, and the owner's logins and /healthz measured during it (after its first SETTLE_MS). */
export async function underFlood(
  url: string,
  seconds: number,
  options: { floodCpus?: string; serverPid?: number } = {},
): Promise<FloodRun> {
  const child = spawn(pinned([process.execPath, join(import.meta.dir, "flood-client.ts"), url, String(seconds)], options.floodCpus), {
    stdout: "pipe",
    stderr: "inherit",
  });
  await Bun.sleep(SETTLE_MS);
  const measureUntil = Date.now() + seconds * 1000 - SETTLE_MS - 1000;
  const cpuBefore = options.serverPid ? loopCpuSeconds(options.serverPid) : 0;
  const startedAt = performance.now();
  const [logins, healthzMs] = await Promise.all([ownerLogins(url, measureUntil), healthzProbe(url, measureUntil)]);
  const measuredSeconds = (performance.now() - startedAt) / 1000;
  const serverLoopCpuSeconds = options.serverPid ? loopCpuSeconds(options.serverPid) - cpuBefore : null;
  const output = await new Response(child.stdout).text();
  await child.exited;
  return { ...logins, healthzMs, flood: JSON.parse(output.trim().split("\n").pop() || "{}"), serverLoopCpuSeconds, measuredSeconds };
}

/** The right password, one login after another (100 ms apart, each from its own address), until `until`. */
async function ownerLogins(url: string, until: number): Promise<{ loginMs: number[]; loginFailures: number }> {
  const loginMs: number[] = [];
  let loginFailures = 0;
  for (let n = 0; Date.now() < until; n++) {
    const startedAt = performance.now();
    const res = await post(url, "/auth/login", { email: OWNER.email, password: OWNER.password, cookie: false }, ownerAddress(n));
    // A refusal counts as the worst time a login can have: the owner did not get in.
    if (res.status === 200) loginMs.push(performance.now() - startedAt);
    else {
      loginFailures++;
      loginMs.push(Infinity);
    }
    await Bun.sleep(100);
  }
  return { loginMs, loginFailures };
}

/** GET /healthz every 10 ms until `until`: each answer's time (ms). */
async function healthzProbe(url: string, until: number): Promise<number[]> {
  const times: number[] = [];
  while (Date.now() < until) {
    const startedAt = performance.now();
    const res = await fetch(`${url}/healthz`);
    await res.arrayBuffer();
    times.push(performance.now() - startedAt);
    await Bun.sleep(10);
  }
  return times;
}

async function post(url: string, path: string, body: unknown, ip = OWNER.ip): Promise<Response> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": `${ip}, 127.0.0.1` },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res;
}

/** CPU seconds (user + system) of a process's main thread: its event loop, without the hash threads. */
export function loopCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

/** The answers the flood got, in a few words: "24.1k refused (429), 228 wrong (401)". */
export function floodAnswers(flood: Record<string, number>): string {
  const total = Object.values(flood).reduce((sum, count) => sum + count, 0);
  return `${total} answers (${Object.entries(flood).map(([status, count]) => `${status}: ${count}`).join(", ")})`;
}

// ---------------------------------------------------------------------------------------------------------
// bench/run.ts's rows: latchkey's binary (a server of its own: the guess limits raised) and the floor
// (bench/ref/flood-floor.ts) under the same flood, in turns (A B, then B A ...); a figure is the median of the runs' p99.

export interface FloodScenario {
  rows: Row[];
  raw: Record<string, FloodRun[]>;
}

export async function floodScenario(dataDir: string): Promise<FloodScenario> {
  const latchkey = await startLatchkey(dataDir, FLOOD_SERVER_ENV, "latchkey (flood)");
  const port = await freePort();
  const floor = await startServer("flood floor", [BUN, join(ROOT, "bench/ref/flood-floor.ts")], {
    cwd: ROOT,
    env: { PORT: String(port) },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/healthz",
  });
  const raw: Record<string, FloodRun[]> = { latchkey: [], floor: [] };
  try {
    await registerOwner(latchkey.url);
    await registerOwner(floor.url);
    log(`fair under a flood: latchkey / floor, ${ROUNDS} round(s)`);
    const sides = [
      { name: "latchkey", server: latchkey },
      { name: "floor", server: floor },
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (const { name, server } of round % 2 === 0 ? sides : [...sides].reverse()) {
        const run = await underFlood(server.url, SECONDS, { serverPid: server.pid });
        raw[name]!.push(run);
        log(`  ${name}: right login p99 ${ms(percentile(run.loginMs, 0.99))} (${run.loginMs.length}), /healthz p99 ${ms(percentile(run.healthzMs, 0.99))}, flood ${floodAnswers(run.flood)}`);
      }
    }
  } finally {
    await latchkey.stop();
    await floor.stop();
  }
  const loginP99 = (side: string) => median(raw[side]!.map((run) => percentile(run.loginMs, 0.99)));
  const healthzP99 = (side: string) => median(raw[side]!.map((run) => percentile(run.healthzMs, 0.99)));
  const rounds = (side: string, pick: (run: FloodRun) => number[]) => raw[side]!.map((run) => ms(percentile(pick(run), 0.99))).join(", ");
  const flood = `${FLOOD_CONNECTIONS} connections from ${FLOOD_ADDRESSES} addresses send wrong passwords as fast as they are answered`;
  return {
    raw,
    rows: [
      {
        scenario: `right login while ${flood} (one every 100 ms, each from an address of its own)`,
        figure: `p99 ${ms(loginP99("latchkey"))} (runs: ${rounds("latchkey", (run) => run.loginMs)}; ${median(raw.latchkey!.map((run) => run.loginMs.length))} logins a run)`,
        reference: `bench/ref/flood-floor.ts (bare Bun.serve: the owner's hash at once, the rest refused at once): p99 ${ms(loginP99("floor"))} (runs: ${rounds("floor", (run) => run.loginMs)})`,
        ratio: ms(loginP99("latchkey")),
        floor: `the reference: p99 ${ms(loginP99("floor"))}`,
        goal: "p99 < 1 s",
        met: loginP99("latchkey") < 1000,
      },
      {
        scenario: "`GET /healthz` during that flood (every 10 ms)",
        figure: `p99 ${ms(healthzP99("latchkey"))} (runs: ${rounds("latchkey", (run) => run.healthzMs)})`,
        reference: `the floor: p99 ${ms(healthzP99("floor"))} (runs: ${rounds("floor", (run) => run.healthzMs)})`,
        ratio: ms(healthzP99("latchkey")),
        floor: `the reference: p99 ${ms(healthzP99("floor"))}`,
        goal: "p99 < 10 ms",
        met: healthzP99("latchkey") < 10,
      },
    ],
  };
}
