// Fair under a flood (issue 29, item 5): while 200 connections from 50 client addresses send wrong passwords as fast
// as they can, how long does a right password from another address take (p99), and /healthz (p99)? Runs two
// checkouts of latchkey from source in alternating rounds (A B B A ...), each on a fresh data dir, and prints both.
//
//   bun bench/flood.ts <before-checkout> <after-checkout>     e.g. a `git archive` of main in /tmp, and .
//
// Client addresses: X-Forwarded-For through TRUSTED_PROXIES=127.0.0.1 (the flood's 50 addresses are header values
// from 203.0.113.0/24, TEST-NET-3; every packet goes to 127.0.0.1). The guess limits are raised (RATE_LIMIT_*), as
// for a botnet whose addresses are more than the limits reach: otherwise after 50 tries an address is refused by
// the guess counters before any hash, and the pool is not saturated. The flood runs in a child process; the owner's
// logins (one after another, 100 ms apart) and /healthz (every 10 ms) are measured from this one.
// FLOOD_SECONDS (default 15) per round, FLOOD_ROUNDS (default 2: A B B A).
import { spawn, type Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const CONNECTIONS = 200;
const ADDRESSES = 50;
const OWNER = { email: "owner@example.com", password: "owner-password-1", ip: "198.51.100.20" };
/** Each right login comes from an address of its own (198.51.100.1-250): people signing in, not a client in a loop. */
const ownerAddress = (n: number) => `198.51.100.${1 + (n % 250)}`;

if (process.argv[2] === "--flood") await flood(process.argv[3]!, Number(process.argv[4]));
else await main();

/** The child: CONNECTIONS loops of wrong logins, each loop one of ADDRESSES addresses, until `seconds` pass. */
async function flood(url: string, seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  const counts = new Map<number, number>();
  const loop = async (index: number): Promise<void> => {
    const ip = `203.0.113.${1 + (index % ADDRESSES)}`;
    for (let n = 0; Date.now() < until; n++) {
      try {
        const res = await fetch(`${url}/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": `${ip}, 127.0.0.1` },
          body: JSON.stringify({ email: `flood-${index}-${n % 20}@example.com`, password: "wrong-password", cookie: false }),
        });
        await res.arrayBuffer();
        counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
      } catch {
        counts.set(0, (counts.get(0) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, index) => loop(index)));
  console.log(JSON.stringify(Object.fromEntries(counts)));
}

interface Round {
  side: string;
  loginP99Ms: number;
  loginMaxMs: number;
  logins: number;
  loginFailures: number;
  healthzP99Ms: number;
  healthz: number;
  flood: Record<string, number>;
}

async function main(): Promise<void> {
  const [before, after] = [process.argv[2], process.argv[3]].map((dir) => resolve(dir ?? "."));
  const seconds = Number(process.env.FLOOD_SECONDS ?? 15);
  const rounds = Number(process.env.FLOOD_ROUNDS ?? 2);
  const sides = [
    { side: "before", dir: before! },
    { side: "after", dir: after! },
  ];
  const results: Round[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const { side, dir } of order) {
      const result = await measure(side, dir, seconds);
      console.log(JSON.stringify(result));
      results.push(result);
    }
  }
  for (const { side } of sides) {
    const mine = results.filter((result) => result.side === side);
    const med = (pick: (r: Round) => number) => median(mine.map(pick)).toFixed(1);
    console.log(
      `${side}: right login p99 ${med((r) => r.loginP99Ms)} ms (rounds: ${mine.map((r) => r.loginP99Ms.toFixed(0)).join(", ")}), ` +
        `/healthz p99 ${med((r) => r.healthzP99Ms)} ms (rounds: ${mine.map((r) => r.healthzP99Ms.toFixed(1)).join(", ")})`,
    );
  }
}

async function measure(side: string, dir: string, seconds: number): Promise<Round> {
  const dataDir = mkdtempSync(join(tmpdir(), "latchkey-flood-"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const server = spawn(["bun", "src/main.ts"], {
    cwd: dir,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      DATA_DIR: dataDir,
      TRUSTED_PROXIES: "127.0.0.1",
      RATE_LIMIT_MAX_PER_IP: "1000000",
      RATE_LIMIT_MAX_PER_ACCOUNT_AND_IP: "100000",
      RATE_LIMIT_MAX_PER_ACCOUNT: "100000",
      RATE_LIMIT_DELAY_AFTER: "100000",
      LOG_LEVEL: "error",
    },
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await waitUntilUp(url);
    const registered = await post(url, "/auth/register", { email: OWNER.email, password: OWNER.password }, OWNER.ip);
    if (registered.status !== 200) throw new Error(`register: ${registered.status}`);
    const child = spawn(["bun", import.meta.path, "--flood", url, String(seconds)], { stdout: "pipe", stderr: "inherit" });
    // Let the flood fill the queue before measuring.
    await Bun.sleep(2000);
    const measureUntil = Date.now() + (seconds - 3) * 1000;
    const [logins, healthz] = await Promise.all([ownerLogins(url, measureUntil), healthzProbe(url, measureUntil)]);
    const floodOutput = await new Response(child.stdout).text();
    await child.exited;
    const loginTimes = logins.times;
    return {
      side,
      loginP99Ms: percentile(loginTimes, 0.99),
      loginMaxMs: Math.max(...loginTimes),
      logins: loginTimes.length,
      loginFailures: logins.failures,
      healthzP99Ms: percentile(healthz, 0.99),
      healthz: healthz.length,
      flood: JSON.parse(floodOutput.trim().split("\n").pop() || "{}"),
    };
  } finally {
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The right password, one login after another (100 ms apart, each from its own address), until `until`: each login's time (ms). */
async function ownerLogins(url: string, until: number): Promise<{ times: number[]; failures: number }> {
  const times: number[] = [];
  let failures = 0;
  for (let n = 0; Date.now() < until; n++) {
    const startedAt = performance.now();
    const res = await post(url, "/auth/login", { email: OWNER.email, password: OWNER.password, cookie: false }, ownerAddress(n));
    // A refusal counts as the worst time a login can have: the owner did not get in.
    if (res.status === 200) times.push(performance.now() - startedAt);
    else {
      failures++;
      times.push(Infinity);
    }
    await Bun.sleep(100);
  }
  return { times, failures };
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

async function post(url: string, path: string, body: unknown, ip: string): Promise<Response> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": `${ip}, 127.0.0.1` },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res;
}

async function waitUntilUp(url: string): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
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

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
