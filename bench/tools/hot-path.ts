// The small requests of issue 29 item 4 alone, against the bare Bun.serve route in the same rounds:
// `GET /healthz`, refresh, lncrawl's authenticated read (`GET /api/auth/me`) and the authenticated storage read
// (`GET /storage/m/user/<id>/a.txt`), each with a Bearer JWT where it needs one, as bench/run.ts measures them.
// Several binaries can take turns (an A/B of two builds): `HOT_BINS=/tmp/a,/tmp/b bun bench/tools/hot-path.ts`
// (default: dist/latchkey; HOT_BINS= none). An entry `bench/ref/core-floor.ts` runs that floor (the routes' own work
// on a bare Bun.serve route), `bench/ref/core-floor.ts+edge` the same with the edge's own work around each route.
// `HOT_SCENARIOS=healthz,read` picks scenarios; HOT_REFS adds references. Each round runs the bare route and every
// binary's scenarios back to back, in reverse every other round; a ratio is the median of the rounds' ratios, and
// each run's CPU a request (the server's user+system time from /proc over the run, all threads) is printed beside it.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import {
  BIN, BUN, CONNECTIONS, ROOT, ROUNDS, SECONDS, USERS, WARMUP, WORK, freePort, hbpLogin, hbpRegister, inParallel, json, log,
  startLatchkey, startServer, wrkOnce, type Server, type WrkOptions,
} from "../lib/harness.ts";
import type { WrkResult } from "../lib/parse.ts";
import { median } from "../lib/report.ts";

const TICKS_PER_SECOND = 100;
/** The process's CPU time so far, in seconds (all threads: utime + stime of /proc/<pid>/stat). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

interface Run {
  name: string;
  pid: number;
  /** Untimed, before each run (refresh: fresh sessions). */
  prepare?(): Promise<void>;
  go(seconds: number): Promise<WrkResult>;
}

const bins = (process.env.HOT_BINS ?? BIN).split(",").filter(Boolean);
const wanted = new Set((process.env.HOT_SCENARIOS ?? "healthz,refresh,read,storage").split(","));
const servers: Server[] = [];
try {
  const barePort = await freePort();
  const bare = await startServer("bare", [BUN, join(ROOT, "bench/ref/bare.ts")], { cwd: ROOT, env: { PORT: String(barePort) }, url: `http://127.0.0.1:${barePort}`, readyPath: "/healthz" });
  servers.push(bare);
  const wrkRun = (name: string, server: Server, path: string, options: WrkOptions): Run => ({ name, pid: server.pid, go: (seconds) => wrkOnce(server.url + path, options, seconds) });
  const runs: Run[] = [wrkRun("bare", bare, "/healthz", { connections: CONNECTIONS })];
  // Other references, e.g. the floors of bench/ref/elysia-healthz.ts: `script[:LAYERS][@path]`, separated by `;`
  // (HOT_REFS="bench/ref/elysia-healthz.ts;bench/ref/elysia-healthz.ts:id+cors@/storage/m/a.txt"); path /healthz.
  const refServers = new Map<string, Server>();
  for (const ref of (process.env.HOT_REFS ?? "").split(";").filter(Boolean)) {
    const [spec, path = "/healthz"] = ref.split("@");
    const [script, layers = ""] = spec!.split(":");
    const name = `${basename(script!, ".ts")}${layers ? `:${layers}` : ""}`;
    let server = refServers.get(spec!);
    if (!server) {
      const port = await freePort();
      server = await startServer(name, [BUN, join(ROOT, script!)], { cwd: ROOT, env: { PORT: String(port), LAYERS: layers.replaceAll("+", ",") }, url: `http://127.0.0.1:${port}`, readyPath: "/healthz" });
      servers.push(server);
      refServers.set(spec!, server);
    }
    runs.push(wrkRun(`${name} ${path}`, server, path, { connections: CONNECTIONS }));
  }
  for (const [index, bin] of bins.entries()) {
    const label = `${basename(bin)}#${index}`;
    const dataDir = join(WORK, `hot-${index}`);
    const server = await startLatchkeyFrom(bin, dataDir);
    servers.push(server);
    const registered = await inParallel(USERS, 4, (n) => hbpRegister(server.url, n));
    const lncrawl = await json(await fetch(`${server.url}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "bench-0@example.com", password: "bench-password-1" }) }));
    // The account's id is the JWT's subject.
    const me = { id: JSON.parse(Buffer.from(registered[0]!.jwt.split(".")[1]!, "base64url").toString()).sub as string };
    const form = new FormData();
    form.append("file", new Blob(["a file to read\n"], { type: "text/plain" }), "a.txt");
    await json(await fetch(`${server.url}/storage/o/user/${me.id}/a.txt`, { method: "POST", headers: { authorization: `Bearer ${registered[0]!.jwt}` }, body: form }));
    const tokens = join(WORK, `hot-refresh-${index}.txt`);
    const refreshPrepare = async () => {
      const sessions = await inParallel(USERS, 4, (n) => hbpLogin(server.url, n));
      writeFileSync(tokens, sessions.map((session) => session.refresh).join("\n") + "\n");
    };
    const refreshGo = (seconds: number) =>
      wrkOnce(`${server.url}/auth/token/refresh`, { connections: CONNECTIONS, script: "refresh.lua", env: { WRK_PATH: "/auth/token/refresh?refresh_token=", WRK_TOKENS: tokens } }, seconds);
    if (wanted.has("healthz")) runs.push(wrkRun(`${label} healthz`, server, "/healthz", { connections: CONNECTIONS }));
    if (wanted.has("refresh")) runs.push({ name: `${label} refresh`, pid: server.pid, prepare: refreshPrepare, go: refreshGo });
    if (wanted.has("read")) runs.push(wrkRun(`${label} read`, server, "/api/auth/me", { connections: CONNECTIONS, headers: [`authorization: Bearer ${lncrawl.token}`] }));
    if (wanted.has("storage")) runs.push(wrkRun(`${label} storage`, server, `/storage/m/user/${me.id}/a.txt`, { connections: CONNECTIONS, headers: [`authorization: Bearer ${registered[0]!.jwt}`] }));
  }
  for (const run of runs) {
    if (WARMUP === 0) continue;
    await run.prepare?.();
    await run.go(WARMUP);
  }
  const results: Record<string, { rps: number; cpuUs: number }[]> = Object.fromEntries(runs.map((run) => [run.name, []]));
  const ratios: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const run of round % 2 === 0 ? runs : [...runs].reverse()) {
      await run.prepare?.();
      const before = cpuSeconds(run.pid);
      const result = await run.go(SECONDS);
      const cpu = cpuSeconds(run.pid) - before;
      if (result.non2xx > 0 || result.socketErrors > 0) throw new Error(`${run.name}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors`);
      results[run.name]!.push({ rps: result.rps, cpuUs: (cpu / result.requests) * 1e6 });
    }
    const bareRps = results.bare![round]!.rps;
    const line = runs.slice(1).map((run) => {
      const ratio = results[run.name]![round]!.rps / bareRps;
      (ratios[run.name] ??= []).push(ratio);
      return `${run.name} ${(ratio * 100).toFixed(0)}%`;
    });
    log(`round ${round + 1}: bare ${(bareRps / 1000).toFixed(1)}k req/s; ${line.join(", ")}; load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  }
  console.log(`\n${ROUNDS} rounds of ${SECONDS} s, wrk -t1 -c${CONNECTIONS}; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.log("| run | req/s (median) | of bare: median (rounds) | CPU us a request (median) |\n|---|---|---|---|");
  for (const run of runs) {
    const rows = results[run.name]!;
    const rounds = ratios[run.name];
    const ratio = rounds ? `${(median(rounds) * 100).toFixed(1)}% (${rounds.map((value) => (value * 100).toFixed(0)).join(", ")})` : "-";
    console.log(`| ${run.name} | ${(median(rows.map((row) => row.rps)) / 1000).toFixed(1)}k | ${ratio} | ${median(rows.map((row) => row.cpuUs)).toFixed(1)} |`);
  }
} finally {
  for (const server of servers) await server.stop();
}

/** startLatchkey with another binary than dist/latchkey. */
async function startLatchkeyFrom(bin: string, dataDir: string): Promise<Server> {
  if (bin === BIN) return startLatchkey(dataDir);
  const { mkdirSync, rmSync } = await import("node:fs");
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  // bench/ref/core-floor.ts[+edge]: the routes' own work on a bare route, with (+edge) or without the edge's own work.
  const [script, variant] = bin.split("+");
  const floor = script!.endsWith(".ts");
  return startServer(basename(bin), floor ? [BUN, join(ROOT, script!)] : [bin, "serve"], {
    cwd: dataDir,
    env: { HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir, MAX_UPLOAD_SIZE: "2GB", LNCRAWL_ENABLED: "true", ...(variant === "edge" ? { EDGE: "1" } : {}) },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/healthz",
  });
}
