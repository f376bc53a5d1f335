// latchkey on the data of a large deployment (issue 29, "data at scale" and "big folders"): `bash bench/run.sh --scale`.
//
// 1. A data directory is seeded (bench/seed-scale.ts: SCALE_ACCOUNTS accounts, default 1,000,000, a tenth with TOTP;
//    as many live sessions; ten rows of rate limits and challenges an account, a tenth of them expired; a folder of
//    a tenth as many files and folders of 100). The binary then starts on it, and its start-up purge deletes the
//    expired rows while the routes run: p99 of each during the purge (one run each, the purge still under way at
//    its end) against its p99 once the purge is over.
// 2. A second instance starts on an empty data directory, and each route runs on both in rounds (A B, B A, A B):
//    login, refresh, the authenticated storage read, a metadata listing of a 100-file folder, and sign-up; the
//    seeded figure against the empty one, round by round (goal: within 1.2x, i.e. >= 83%).
// 3. The big folder on the seeded instance: its listing and its zip, time to the first byte and the server's memory.
// Database size and RSS of both instances are reported; the table goes into bench/README.md ("Scale").
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { parseProcStatus, parseWrk, type WrkResult } from "./lib/parse.ts";
import { median, megabytes, ms, pairedPercent, pairedRatio, rate, renderResults, SCALE_MARKERS, spliceResults, times, type Row } from "./lib/report.ts";
import { BIG_FOLDER_OWNER, bigFolder, docsFolder, scaleEmail, SCALE_PASSWORD, seedScale } from "./seed-scale.ts";

const ROOT = resolve(import.meta.dir, "..");
const WORK = join(ROOT, "bench/.work");
const LUA = join(ROOT, "bench/lua");
const BIN = join(ROOT, "dist/latchkey");
const ACCOUNTS = Number(process.env.SCALE_ACCOUNTS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const CONNECTIONS = 32;
const HASH_CONNECTIONS = 8;
/** The accounts the bench signs in as: n = 101, 111, ... 731 (n % 10 == 1: no TOTP); 101 owns a docs folder. */
const benchAccount = (i: number) => Number(`1${i}1`);
const LOGIN_ACCOUNTS = 64;
const READER = 101;
const LATCHKEY_ENV: Record<string, string> = { HOST: "127.0.0.1", LOG_LEVEL: "info" };

const log = (message: string) => console.log(`[scale ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function mustRun(cmd: string[], env: Record<string, string> = {}, timeoutMs = 600_000): Promise<string> {
  const child = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${stderr.slice(0, 2000)}`);
  return stdout;
}

async function freePort(): Promise<number> {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port!;
  await server.stop(true);
  return port;
}

const memory = (pid: number) => parseProcStatus(readFileSync(`/proc/${pid}/status`, "utf8"));
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, "5");

interface Server {
  name: string;
  url: string;
  pid: number;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

async function startLatchkey(name: string, dataDir: string): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn([BIN, "serve"], {
    cwd: dataDir,
    env: { PATH: process.env.PATH ?? "", HOME: dataDir, PORT: String(port), DATA_DIR: dataDir, ...LATCHKEY_ENV },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output = (output + decoder.decode(chunk, { stream: true })).slice(-200_000);
  };
  void collect(child.stdout);
  void collect(child.stderr);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${name} did not answer within 120 s:\n${output}`);
    await Bun.sleep(20);
  }
  return {
    name,
    url,
    pid: child.pid,
    dataDir,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 600_000); // a purge under way is waited for
      await child.exited;
      clearTimeout(timer);
    },
  };
}

/** A data directory with a migrated, empty database (the binary started on it once). */
async function migratedDataDir(dataDir: string): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const server = await startLatchkey("migration", dataDir);
  await server.stop();
}

// ---------------------------------------------------------------------------------------------------------
// The API, as a client

async function json(response: Response): Promise<any> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status} ${response.url}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

const post = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

async function login(server: Server, n: number): Promise<{ jwt: string; refresh: string; userId: string }> {
  const body = await json(await post(`${server.url}/auth/login`, { email: scaleEmail(n), password: SCALE_PASSWORD, cookie: false }));
  return { jwt: body.jwt_token, refresh: body.refresh_token, userId: body.user.id };
}

async function register(server: Server, n: number): Promise<void> {
  await json(await post(`${server.url}/auth/register`, { email: scaleEmail(n), password: SCALE_PASSWORD, cookie: false }));
}

async function upload(server: Server, jwt: string, key: string, content: string): Promise<void> {
  const form = new FormData();
  form.append("file", new Blob([content], { type: "text/plain" }), "file.txt");
  await json(await fetch(`${server.url}/storage/o/${key}`, { method: "POST", headers: { authorization: `Bearer ${jwt}` }, body: form }));
}

async function inParallel(count: number, parallel: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => { while (next < count) await task(next++); }));
}

// ---------------------------------------------------------------------------------------------------------
// Routes under load

async function wrk(url: string, options: { connections: number; script?: string; env?: Record<string, string>; headers?: string[] }, seconds: number): Promise<WrkResult> {
  const cmd = ["wrk", "-t", "1", "-c", String(options.connections), "-d", `${seconds}s`, "--latency", "--timeout", "10s"];
  if (options.script) cmd.push("-s", join(LUA, options.script));
  for (const header of options.headers ?? []) cmd.push("-H", header);
  cmd.push(url);
  return parseWrk(await mustRun(cmd, { WRK_THREADS: "1", ...options.env }, (seconds + 60) * 1000));
}

/** What a route needs on one server: tokens, a JWT, the reader's id; made once per server. */
interface Prepared {
  readerJwt: string;
  readerId: string;
}

interface Route {
  name: string;
  goal: string;
  run(server: Server, prepared: Prepared, seconds: number): Promise<WrkResult>;
}

let signUps = 0;
const routes: Route[] = [
  {
    name: "login (`POST /auth/login`)",
    goal: "argon2id-bound",
    run: (server, _prepared, seconds) =>
      wrk(`${server.url}/auth/login`, {
        connections: HASH_CONNECTIONS,
        script: "post-users.lua",
        env: { WRK_PATH: "/auth/login", WRK_USERS: String(LOGIN_ACCOUNTS), WRK_BODY: `{"email":"scale-1{n}1@example.com","password":"${SCALE_PASSWORD}","cookie":false}` },
      }, seconds),
  },
  {
    name: "refresh (`GET /auth/token/refresh`)",
    goal: "",
    async run(server, _prepared, seconds) {
      const sessions: string[] = [];
      await inParallel(LOGIN_ACCOUNTS, 8, async (i) => sessions.push((await login(server, benchAccount(i))).refresh));
      const tokens = join(WORK, "scale-refresh-tokens.txt");
      writeFileSync(tokens, sessions.join("\n") + "\n");
      return wrk(`${server.url}/auth/token/refresh`, { connections: CONNECTIONS, script: "refresh.lua", env: { WRK_PATH: "/auth/token/refresh?refresh_token=", WRK_TOKENS: tokens } }, seconds);
    },
  },
  {
    name: "authenticated read (`GET /storage/m/user/<id>/a.txt`, Bearer JWT)",
    goal: "",
    run: (server, prepared, seconds) =>
      wrk(`${server.url}/storage/m/user/${prepared.readerId}/a.txt`, { connections: CONNECTIONS, headers: [`authorization: Bearer ${prepared.readerJwt}`] }, seconds),
  },
  {
    name: "metadata listing of a 100-file folder (`GET /storage/m/user/<id>/docs/`)",
    goal: "",
    run: (server, prepared, seconds) =>
      wrk(`${server.url}/storage/m/${docsFolder(prepared.readerId)}`, { connections: CONNECTIONS, headers: [`authorization: Bearer ${prepared.readerJwt}`] }, seconds),
  },
  {
    name: "sign-up (`POST /auth/register`)",
    goal: "",
    run: (server, _prepared, seconds) =>
      wrk(`${server.url}/auth/register`, {
        connections: HASH_CONNECTIONS,
        script: "post-users.lua",
        // Every request a new address: {n} counts up within the run, the run's number keeps runs apart.
        env: { WRK_PATH: "/auth/register", WRK_USERS: "1000000000", WRK_BODY: `{"email":"signup-${signUps++}-{n}@example.com","password":"${SCALE_PASSWORD}","cookie":false}` },
      }, seconds),
  },
];

/** Accounts, the reader's file and its 100-file folder, on a server (the seeded one has the accounts and folder). */
async function prepare(server: Server, seeded: boolean): Promise<Prepared> {
  if (!seeded) await inParallel(LOGIN_ACCOUNTS, 4, (i) => register(server, benchAccount(i)));
  const reader = await login(server, READER);
  await upload(server, reader.jwt, `user/${reader.userId}/a.txt`, "a file to read\n");
  if (!seeded) await inParallel(100, 8, (i) => upload(server, reader.jwt, `${docsFolder(reader.userId)}file-${String(i).padStart(2, "0")}.txt`, "seeded file\n"));
  return { readerJwt: reader.jwt, readerId: reader.userId };
}

function refuseErrors(name: string, result: WrkResult): WrkResult {
  if (result.non2xx > 0 || result.socketErrors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.socketErrors} socket errors`);
  return result;
}

const purgeLine = (server: Server) => server.output().match(/expired rows purged.*rows=(\d+).*ms=(\d+)/);

const databaseBytes = (dataDir: string) =>
  ["latchkey.db", "latchkey.db-wal"].map((name) => join(dataDir, name)).filter(existsSync).reduce((total, file) => total + statSync(file).size, 0);

/** One streamed GET: time to the first byte and in all, bytes, the server's RSS growth. */
async function streamed(server: Server, path: string, jwt: string): Promise<{ firstByteMs: number; totalMs: number; bytes: number; growth: number; status: string }> {
  const before = memory(server.pid).rss;
  resetPeak(server.pid);
  const out = await mustRun(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_starttransfer} %{time_total} %{size_download}", "-H", `authorization: Bearer ${jwt}`, `${server.url}${path}`]);
  const [status, first, total, bytes] = out.trim().split(" ");
  return { status: status!, firstByteMs: Number(first) * 1000, totalMs: Number(total) * 1000, bytes: Number(bytes), growth: memory(server.pid).hwm - before };
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const rows: Row[] = [];
  const raw: Record<string, unknown> = { accounts: ACCOUNTS };
  const seededDir = join(WORK, "scale-seeded");
  const emptyDir = join(WORK, "scale-empty");

  log(`seeding ${ACCOUNTS.toLocaleString("en")} accounts into ${seededDir}`);
  await migratedDataDir(seededDir);
  const seeding = await seedScale(seededDir, ACCOUNTS, { log: (line) => log(`  ${line}`) });
  raw.seeding = seeding;
  log(`seeded ${seeding.rows.toLocaleString("en")} rows in ${(seeding.ms / 1000).toFixed(0)} s; database ${megabytes(databaseBytes(seededDir))}`);
  const seededSize = databaseBytes(seededDir);

  const servers: Server[] = [];
  try {
    // -- 1. the start-up purge of the seeded instance, with each route under load while it runs
    const seeded = await startLatchkey("seeded", seededDir);
    servers.push(seeded);
    const purgeStarted = performance.now();
    const seededPrepared = await prepare(seeded, true);
    const duringPurge: Record<string, WrkResult & { purgeRunning: boolean }> = {};
    // The routes that are not bound by the hash first: they show the purge's cost most, and the purge may be over
    // before the last route's turn.
    const purgeOrder = [...routes.slice(1, 4), routes[0]!, routes[4]!];
    for (const route of purgeOrder) {
      if (purgeLine(seeded)) break;
      const result = refuseErrors(route.name, await route.run(seeded, seededPrepared, SECONDS));
      duringPurge[route.name] = { ...result, purgeRunning: !purgeLine(seeded) };
      log(`  during the purge: ${route.name}: ${rate(result.rps)} req/s, p99 ${ms(result.p99Ms)}${purgeLine(seeded) ? " (the purge ended during the run)" : ""}`);
    }
    while (!purgeLine(seeded)) await Bun.sleep(500);
    const purged = purgeLine(seeded)!;
    raw.purge = { rows: Number(purged[1]), ms: Number(purged[2]), wallMs: performance.now() - purgeStarted, duringPurge };
    log(`purge: ${Number(purged[1]).toLocaleString("en")} rows in ${(Number(purged[2]) / 1000).toFixed(1)} s`);

    // -- 2. seeded against empty, round by round
    await migratedDataDir(emptyDir);
    const empty = await startLatchkey("empty", emptyDir);
    servers.push(empty);
    const emptyPrepared = await prepare(empty, false);
    const contenders = [
      { server: seeded, prepared: seededPrepared },
      { server: empty, prepared: emptyPrepared },
    ];
    resetPeak(seeded.pid);
    resetPeak(empty.pid);
    const results: Record<string, { seeded: WrkResult[]; empty: WrkResult[] }> = {};
    for (const route of routes) {
      log(`${route.name}: seeded / empty, ${ROUNDS} round(s)`);
      for (const { server, prepared } of contenders) if (WARMUP > 0) await route.run(server, prepared, WARMUP);
      const runs = { seeded: [] as WrkResult[], empty: [] as WrkResult[] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const { server, prepared } of round % 2 === 0 ? contenders : [...contenders].reverse()) {
          const result = refuseErrors(`${route.name} (${server.name})`, await route.run(server, prepared, SECONDS));
          runs[server.name as "seeded" | "empty"].push(result);
          log(`  ${server.name}: ${rate(result.rps)} req/s, p50 ${ms(result.p50Ms)}, p99 ${ms(result.p99Ms)}`);
        }
      }
      results[route.name] = runs;
      const ratio = pairedRatio(runs.seeded.map((run) => run.rps), runs.empty.map((run) => run.rps));
      const mid = (list: WrkResult[]) => [...list].sort((a, b) => a.rps - b.rps)[Math.floor((list.length - 1) / 2)]!;
      const [s, e] = [mid(runs.seeded), mid(runs.empty)];
      rows.push({
        scenario: `${route.name} on ${ACCOUNTS.toLocaleString("en")} accounts`,
        figure: `${rate(s.rps)} req/s (p50 ${ms(s.p50Ms)}, p99 ${ms(s.p99Ms)})`,
        reference: `empty database: ${rate(e.rps)} req/s (p99 ${ms(e.p99Ms)})`,
        ratio: pairedPercent(ratio),
        goal: ">= 83% (within 1.2x)",
        met: ratio.median >= 1 / 1.2,
      });
    }
    raw.contests = results;
    for (const route of routes) {
      const during = duringPurge[route.name];
      const without = median(results[route.name]!.seeded.map((run) => run.p99Ms));
      if (!during) {
        rows.push({ scenario: `p99 during the purge: ${route.name}`, figure: "not measured: the purge ended before this route's turn", reference: `p99 without: ${ms(without)}`, ratio: "-", goal: "<= 2x", met: false });
        continue;
      }
      rows.push({
        scenario: `p99 during the purge: ${route.name}`,
        figure: `p99 ${ms(during.p99Ms)} (${rate(during.rps)} req/s)${during.purgeRunning ? "" : "; the purge ended during the run"}`,
        reference: `p99 without a purge (median of ${ROUNDS}): ${ms(without)}`,
        ratio: times(during.p99Ms / without),
        goal: "<= 2x",
        met: during.p99Ms / without <= 2,
      });
    }
    rows.push({
      scenario: "the start-up purge of the seeded rows",
      figure: `${Number(purged[1]).toLocaleString("en")} expired rows in ${(Number(purged[2]) / 1000).toFixed(1)} s`,
      reference: "-",
      ratio: "-",
      goal: "-",
      met: true,
    });

    // -- 3. the big folder
    const owner = await login(seeded, BIG_FOLDER_OWNER);
    const folder = bigFolder(owner.userId);
    const bigCount = Math.floor(ACCOUNTS / 10);
    for (const [what, path, kind] of [
      ["metadata listing", `/storage/m/${folder}`, "list"],
      ["zip", `/storage/o/${folder}`, "zip"],
    ] as const) {
      const result = await streamed(seeded, path, owner.jwt);
      raw[`big-${kind}`] = result;
      log(`  big folder ${what}: ${result.status}, first byte ${ms(result.firstByteMs)}, ${ms(result.totalMs)} in all, ${megabytes(result.bytes)}, RSS +${megabytes(result.growth)}`);
      rows.push({
        scenario: `${what} of a folder of ${bigCount.toLocaleString("en")} files (\`GET ${path.replace(owner.userId, "<id>")}\`)`,
        figure: `${result.status}; first byte ${ms(result.firstByteMs)}, all ${megabytes(result.bytes)} in ${ms(result.totalMs)}`,
        reference: "-",
        ratio: `first byte ${ms(result.firstByteMs)}, RSS +${megabytes(result.growth)}`,
        goal: "first byte < 1 s, RSS growth <= 64 MB",
        met: result.status === "200" && result.firstByteMs < 1000 && result.growth <= 64e6,
      });
    }

    const seededMemory = memory(seeded.pid);
    const emptyMemory = memory(empty.pid);
    rows.push({
      scenario: "database size and server memory",
      figure: `seeded: database ${megabytes(databaseBytes(seededDir))} (${megabytes(seededSize)} as seeded), RSS ${megabytes(seededMemory.rss)} (peak ${megabytes(seededMemory.hwm)})`,
      reference: `empty: database ${megabytes(databaseBytes(emptyDir))}, RSS ${megabytes(emptyMemory.rss)} (peak ${megabytes(emptyMemory.hwm)})`,
      ratio: "-",
      goal: "reported",
      met: true,
    });
    raw.memory = { seeded: seededMemory, empty: emptyMemory };
  } finally {
    for (const server of servers.reverse()) await server.stop().catch(() => {});
  }

  const facts = [
    `${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB`,
    `Bun ${Bun.version}, binary ${megabytes(statSync(BIN).size)}`,
    `seeding: ${(Number((raw.seeding as { ms: number }).ms) / 1000).toFixed(0)} s for ${(raw.seeding as { rows: number }).rows.toLocaleString("en")} rows (bench/seed-scale.ts)`,
  ];
  const settings = [
    `${ACCOUNTS.toLocaleString("en")} accounts (a tenth with TOTP), as many live sessions, ${(10 * ACCOUNTS).toLocaleString("en")} rate-limit and challenge rows (a tenth expired: the start-up purge deletes them), ${Math.floor(ACCOUNTS / 10).toLocaleString("en")} files in one folder and ${Math.floor(ACCOUNTS / 1000).toLocaleString("en")} folders of 100`,
    `wrk: 1 thread, ${CONNECTIONS} connections (${HASH_CONNECTIONS} for login and sign-up); ${WARMUP} s warm-up, ${ROUNDS} rounds of ${SECONDS} s, seeded and empty back to back (in reverse order every other round); a ratio is the median of the rounds'`,
    "during the purge: one run of each route from the seeded instance's start (refresh, the read and the listing first, then login and sign-up); the purge's own log line says when it ended",
    "latchkey: the compiled binary, `HOST=127.0.0.1`, everything else default",
  ];
  const results = renderResults({ command: process.env.BENCH_COMMAND ?? "bash bench/run.sh --scale", date, machine: facts, settings }, rows, SCALE_MARKERS);
  writeFileSync(join(WORK, "scale-results.json"), JSON.stringify({ date, rows, raw }, null, 2));
  const readmePath = join(ROOT, "bench/README.md");
  writeFileSync(readmePath, spliceResults(readFileSync(readmePath, "utf8"), results, SCALE_MARKERS));
  console.log(`\n${results}\n`);
}

await main();
process.exit(0);
