// latchkey's benchmarks against references measured in the same run (issue 7). Start it with `bash bench/run.sh`
// (or `npm run bench`), which installs wrk, nginx, zip and bench/peer's packages and builds dist/latchkey first.
//
// Every server runs on 127.0.0.1 only; every load is bounded in time (BENCH_SECONDS per scenario after
// BENCH_WARMUP_SECONDS of warm-up). Figures go to bench/.work/results.json and into bench/README.md's table.
// Peak RSS of a server during a scenario: /proc/<pid>/clear_refs is reset (echo 5) before it, VmHWM read after.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { parseDd, parseProcStatus, parseWrk, type ProcMemory, type WrkResult } from "./lib/parse.ts";
import { mbPerSecond, megabytes, ms, percent, rate, renderResults, spliceResults, times, type Row } from "./lib/report.ts";

const ROOT = resolve(import.meta.dir, "..");
const WORK = join(ROOT, "bench/.work");
const PEER = join(ROOT, "bench/peer");
const LUA = join(ROOT, "bench/lua");
const BIN = join(ROOT, "dist/latchkey");
const BUN = process.execPath;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
/** Measured runs per load scenario; the best is kept (noise on a shared machine only ever slows a run down). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
const PASSWORD = "bench-password-1";
const USERS = 64;
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
/** Connections for small requests (one wrk thread: the machine has two cores, one is the server's). */
const CONNECTIONS = 32;
/** Connections for logins: enough to keep both cores hashing; one account per connection at most. */
const LOGIN_CONNECTIONS = 8;
/** Connections for 1 MiB downloads. */
const DOWNLOAD_CONNECTIONS = 16;
/** What the bench run sets for latchkey beyond its defaults. */
const LATCHKEY_ENV: Record<string, string> = { MAX_UPLOAD_SIZE: "2GB" };

const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

// ---------------------------------------------------------------------------------------------------------
// Processes

interface Command {
  stdout: string;
  stderr: string;
  code: number;
  ms: number;
}

/** Runs a command to its end (killed after timeoutMs); stdout may go to a file instead of memory. */
async function run(cmd: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; stdoutFile?: string } = {}): Promise<Command> {
  const started = performance.now();
  const child = Bun.spawn(cmd, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdin: "ignore",
    stdout: options.stdoutFile ? Bun.file(options.stdoutFile) : "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 600_000);
  const [stdout, stderr, code] = await Promise.all([
    child.stdout instanceof ReadableStream ? new Response(child.stdout).text() : Promise.resolve(""),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  return { stdout, stderr, code, ms: performance.now() - started };
}

async function mustRun(cmd: string[], options: Parameters<typeof run>[1] = {}): Promise<Command> {
  const result = await run(cmd, options);
  if (result.code !== 0) throw new Error(`${cmd.join(" ")} exited ${result.code}: ${result.stderr.slice(0, 2000)}`);
  return result;
}

async function freePort(): Promise<number> {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port!;
  await server.stop(true);
  return port;
}

function memory(pid: number): ProcMemory {
  return parseProcStatus(readFileSync(`/proc/${pid}/status`, "utf8"));
}

/** Resets the peak RSS (VmHWM) of a process to its current RSS. */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

interface Server {
  name: string;
  url: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a server and waits until `readyPath` answers (any status). */
async function startServer(name: string, cmd: string[], options: { cwd: string; env: Record<string, string>; url: string; readyPath: string }): Promise<Server> {
  const child: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn(cmd, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? options.cwd, ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output = (output + decoder.decode(chunk, { stream: true })).slice(-20_000);
  };
  void collect(child.stdout);
  void collect(child.stderr);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}:\n${output}`);
    try {
      await fetch(options.url + options.readyPath);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`${name} did not answer within 30 s:\n${output}`);
      }
      await Bun.sleep(20);
    }
  }
  return {
    name,
    url: options.url,
    pid: child.pid,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.exited;
      clearTimeout(timer);
    },
  };
}

async function startLatchkey(dataDir: string): Promise<Server> {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  return startServer("latchkey", [BIN, "serve"], {
    cwd: dataDir,
    env: { HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir, ...LATCHKEY_ENV },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/healthz",
  });
}

// ---------------------------------------------------------------------------------------------------------
// Load

interface WrkOptions {
  connections: number;
  threads?: number;
  seconds?: number;
  script?: string;
  env?: Record<string, string>;
  headers?: string[];
}

async function wrkOnce(url: string, options: WrkOptions, seconds: number): Promise<WrkResult> {
  const threads = options.threads ?? 1;
  const cmd = ["wrk", "-t", String(threads), "-c", String(options.connections), "-d", `${seconds}s`, "--latency", "--timeout", "10s"];
  if (options.script) cmd.push("-s", join(LUA, options.script));
  for (const header of options.headers ?? []) cmd.push("-H", header);
  cmd.push(url);
  const result = await mustRun(cmd, { env: { WRK_THREADS: String(threads), ...options.env }, timeoutMs: (seconds + 30) * 1000 });
  return parseWrk(result.stdout);
}

interface Load {
  wrk: WrkResult;
  /** The server's peak RSS during the measured run, bytes. */
  peakRss: number;
}

/** A warm-up run, then the measured run with the server's peak RSS recorded. Errors in the measured run fail the bench. */
async function load(server: Server, path: string, options: WrkOptions & { warmupEnv?: Record<string, string>; allowNon2xx?: boolean; rounds?: number }): Promise<Load> {
  if (WARMUP > 0) await wrkOnce(server.url + path, { ...options, env: { ...options.env, ...options.warmupEnv } }, WARMUP);
  resetPeak(server.pid);
  let wrk = await wrkOnce(server.url + path, options, options.seconds ?? SECONDS);
  for (let round = 1; round < (options.rounds ?? ROUNDS); round++) {
    const again = await wrkOnce(server.url + path, options, options.seconds ?? SECONDS);
    if (again.rps > wrk.rps) wrk = again;
  }
  const peakRss = memory(server.pid).hwm;
  if ((wrk.non2xx > 0 || wrk.socketErrors > 0) && !options.allowNon2xx) {
    throw new Error(`${server.name} ${path}: ${wrk.non2xx} non-2xx answers, ${wrk.socketErrors} socket errors\n${server.output().slice(-3000)}`);
  }
  log(`${server.name} ${path}: ${rate(wrk.rps)} req/s, p50 ${ms(wrk.p50Ms)}, p99 ${ms(wrk.p99Ms)}, peak RSS ${megabytes(peakRss)}`);
  return { wrk, peakRss };
}

const loadFigure = (result: Load, unit = "req/s") =>
  `${rate(result.wrk.rps)} ${unit} (p50 ${ms(result.wrk.p50Ms)}, p99 ${ms(result.wrk.p99Ms)}; peak RSS ${megabytes(result.peakRss)})`;

// ---------------------------------------------------------------------------------------------------------
// Inputs

/** A deterministic photo-like 3000x2000 JPEG (gradients plus grain), made once with the repository's imagescript. */
async function photo(file: string): Promise<void> {
  if (existsSync(file)) return;
  const { default: codecs } = await import("imagescript/codecs/node/index.js");
  const [width, height] = [3000, 2000];
  const rgba = new Uint8Array(width * height * 4);
  let seed = 0x2545f491;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      const grain = (seed & 0xff) / 8;
      const index = (y * width + x) * 4;
      rgba[index] = Math.min(255, 128 + 100 * Math.sin(x / 97) + grain);
      rgba[index + 1] = Math.min(255, 128 + 100 * Math.cos(y / 61) + grain);
      rgba[index + 2] = Math.min(255, ((x + y) / 25) % 256);
      rgba[index + 3] = 255;
    }
  }
  writeFileSync(file, codecs.jpeg.encode(rgba, { width, height, quality: 85 }));
}

async function randomFile(file: string, bytes: number): Promise<void> {
  if (existsSync(file) && statSync(file).size === bytes) return;
  await mustRun(["dd", "if=/dev/urandom", `of=${file}`, "bs=1M", `count=${bytes / MIB}`, "status=none"]);
}

/** Reads a file so the page cache holds it (both sides of a comparison then read from memory). */
async function warmCache(path: string): Promise<void> {
  await mustRun(["sh", "-c", `cat ${path} > /dev/null`]);
}

// ---------------------------------------------------------------------------------------------------------
// latchkey's API, as a client

async function json(response: Response): Promise<any> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status} ${response.url}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

const email = (n: number) => `bench-${n}@example.com`;

async function hbpRegister(url: string, n: number): Promise<{ jwt: string; refresh: string }> {
  const body = await json(
    await fetch(`${url}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: email(n), password: PASSWORD, cookie: false }),
    }),
  );
  return { jwt: body.jwt_token, refresh: body.refresh_token };
}

async function hbpLogin(url: string, n: number): Promise<{ jwt: string; refresh: string }> {
  const body = await json(
    await fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: email(n), password: PASSWORD, cookie: false }),
    }),
  );
  return { jwt: body.jwt_token, refresh: body.refresh_token };
}

/** Runs `task` for 0..count-1, `parallel` at a time. */
async function inParallel<T>(count: number, parallel: number, task: (n: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const n = next++;
        results[n] = await task(n);
      }
    }),
  );
  return results;
}

/** Uploads a file from disk with curl (streamed: curl does not hold it in memory); answers the seconds it took. */
async function curlUpload(url: string, key: string, file: string, jwt: string, contentType: string): Promise<number> {
  const out = join(WORK, "upload-answer.json");
  const result = await mustRun([
    "curl", "-sS", "-o", out, "-w", "%{http_code} %{time_total}", "--max-time", "600", "-H", "Expect:",
    "-H", `authorization: Bearer ${jwt}`, "-F", `file=@${file};type=${contentType}`, `${url}/storage/o/${key}`,
  ]);
  const [code, seconds] = result.stdout.trim().split(" ");
  if (code !== "200") throw new Error(`upload of ${key}: ${code} ${readFileSync(out, "utf8").slice(0, 500)}`);
  return Number(seconds);
}

// ---------------------------------------------------------------------------------------------------------
// The scenarios

const rows: Row[] = [];
const raw: Record<string, unknown> = {};

async function bareReference(): Promise<Load> {
  const port = await freePort();
  const bare = await startServer("bare Bun.serve", [BUN, join(ROOT, "bench/ref/bare.ts")], {
    cwd: ROOT,
    env: { PORT: String(port) },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/healthz",
  });
  try {
    return await load(bare, "/healthz", { connections: CONNECTIONS });
  } finally {
    await bare.stop();
  }
}

async function hashCeiling(): Promise<number> {
  const result = await mustRun([BUN, join(ROOT, "bench/ref/hash-ceiling.ts")], {
    env: { SECONDS: String(SECONDS), WARMUP_SECONDS: String(Math.min(WARMUP, 2)), CONCURRENCY: String(LOGIN_CONNECTIONS) },
    timeoutMs: (SECONDS + 60) * 1000,
  });
  const figures = JSON.parse(result.stdout.trim().split("\n").pop()!);
  log(`argon2id verify ceiling: ${figures.verifiesPerSecond.toFixed(1)}/s`);
  return figures.verifiesPerSecond;
}

async function nginxDownload(file: string): Promise<Load> {
  const prefix = join(WORK, "nginx");
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(join(prefix, "www"), { recursive: true });
  mkdirSync(join(prefix, "logs"), { recursive: true });
  await mustRun(["cp", file, join(prefix, "www/file.bin")]);
  const port = await freePort();
  // One worker, like latchkey's one event loop; sendfile, as latchkey's file responses use it.
  writeFileSync(
    join(prefix, "nginx.conf"),
    `worker_processes 1;
user root;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${prefix}/tmp;
  proxy_temp_path ${prefix}/tmp;
  fastcgi_temp_path ${prefix}/tmp;
  uwsgi_temp_path ${prefix}/tmp;
  scgi_temp_path ${prefix}/tmp;
  types { application/octet-stream bin; }
  server {
    listen 127.0.0.1:${port};
    root ${prefix}/www;
  }
}
`,
  );
  const nginx = await startServer("nginx", ["nginx", "-p", prefix, "-e", join(prefix, "logs/error.log"), "-c", join(prefix, "nginx.conf"), "-g", "daemon off;"], {
    cwd: prefix,
    env: {},
    url: `http://127.0.0.1:${port}`,
    readyPath: "/file.bin",
  });
  try {
    // The worker serves; the master only watches it.
    const workers = (await run(["pgrep", "-P", String(nginx.pid)])).stdout.trim().split("\n").filter(Boolean);
    const worker = { ...nginx, pid: Number(workers[0] ?? nginx.pid) };
    return await load(worker, "/file.bin", { connections: DOWNLOAD_CONNECTIONS });
  } finally {
    await nginx.stop();
  }
}

async function sharpReference(file: string): Promise<{ ms: number; oneThreadMs: number; runs: number[]; bytes: number }> {
  const result = await mustRun([BUN, "sharp-transform.ts", file], { cwd: PEER, timeoutMs: 120_000 });
  const figures = JSON.parse(result.stdout.trim().split("\n").pop()!);
  const value = median(figures.runsMs);
  const oneThreadMs = median(figures.oneThreadRunsMs);
  log(`sharp 3000x2000 JPEG -> 800w WebP: median ${ms(value)}, on one thread ${ms(oneThreadMs)} (${figures.width}x${figures.height}, ${figures.bytes} bytes)`);
  return { ms: value, oneThreadMs, runs: figures.runsMs, bytes: figures.bytes };
}

async function startUp(): Promise<{ ms: number; idleRss: number; runs: number[]; rssRuns: number[] }> {
  const runs: number[] = [];
  const rssRuns: number[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    const dataDir = join(WORK, `startup-${attempt}`);
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/healthz`;
    const started = performance.now();
    const child = Bun.spawn([BIN, "serve"], {
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? "", HOME: dataDir, HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir },
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    let elapsed = Number.NaN;
    while (performance.now() - started < 20_000) {
      try {
        if ((await fetch(url)).status === 200) {
          elapsed = performance.now() - started;
          break;
        }
      } catch {
        await Bun.sleep(1);
      }
    }
    await Bun.sleep(2000); // idle: start-up work (housekeeping, the admin account) is done
    const idle = memory(child.pid).rss;
    child.kill("SIGTERM");
    await child.exited;
    rmSync(dataDir, { recursive: true, force: true });
    if (Number.isNaN(elapsed)) throw new Error("latchkey did not answer /healthz within 20 s");
    runs.push(elapsed);
    rssRuns.push(idle);
  }
  log(`start-up to first 200: ${runs.map((value) => value.toFixed(0)).join(", ")} ms; idle RSS ${rssRuns.map(megabytes).join(", ")}`);
  return { ms: median(runs), idleRss: median(rssRuns), runs, rssRuns };
}

async function betterAuth(cookieCache: boolean): Promise<{ signIn?: Load; getSession: Load }> {
  const port = await freePort();
  const db = join(WORK, `better-auth-${cookieCache ? "cache" : "plain"}.db`);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true });
  const server = await startServer(`better-auth${cookieCache ? " (cookie cache)" : ""}`, [BUN, "better-auth-server.ts"], {
    cwd: PEER,
    env: { PORT: String(port), DB: db, COOKIE_CACHE: String(cookieCache) },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/api/auth/ok",
  });
  try {
    const users = cookieCache ? 1 : USERS;
    await inParallel(users, 4, async (n) =>
      json(
        await fetch(`${server.url}/api/auth/sign-up/email`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: email(n), password: PASSWORD, name: `bench ${n}` }),
        }),
      ),
    );
    let signIn: Load | undefined;
    if (!cookieCache) {
      signIn = await load(server, "/api/auth/sign-in/email", {
        connections: LOGIN_CONNECTIONS,
        script: "post-users.lua",
        env: {
          WRK_PATH: "/api/auth/sign-in/email",
          WRK_BODY: `{"email":"bench-{n}@example.com","password":"${PASSWORD}"}`,
          WRK_USERS: String(USERS),
        },
      });
    }
    const response = await fetch(`${server.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: email(0), password: PASSWORD }),
    });
    await json(response);
    const cookie = response.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
    const check = await json(await fetch(`${server.url}/api/auth/get-session`, { headers: { cookie } }));
    if (check?.user?.email !== email(0)) throw new Error(`better-auth get-session: ${JSON.stringify(check)}`);
    const getSession = await load(server, "/api/auth/get-session", { connections: CONNECTIONS, headers: [`cookie: ${cookie}`] });
    return { signIn, getSession };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`bun run build\` first (bench/run.sh does)`);
  mkdirSync(WORK, { recursive: true });
  const date = new Date().toISOString().replace("T", " ").slice(0, 16) + " UTC";
  const bigFile = join(WORK, "1gib.bin");
  const mibFile = join(WORK, "1mib.bin");
  const photoFile = join(WORK, "photo.jpg");
  log("preparing inputs (1 GiB and 1 MiB random files, a 3000x2000 JPEG)");
  await randomFile(bigFile, GIB);
  await randomFile(mibFile, MIB);
  await photo(photoFile);
  const zipParts = 16;
  const partBytes = GIB / zipParts;
  const partsDir = join(WORK, "zip-parts");
  if (!existsSync(join(partsDir, `part-${zipParts - 1}.bin`))) {
    rmSync(partsDir, { recursive: true, force: true });
    mkdirSync(partsDir, { recursive: true });
    for (let index = 0; index < zipParts; index++) {
      await mustRun(["dd", `if=${bigFile}`, `of=${join(partsDir, `part-${index}.bin`)}`, "bs=1M", `skip=${(index * partBytes) / MIB}`, `count=${partBytes / MIB}`, "status=none"]);
    }
  }

  // -- references that need no latchkey
  log("bare Bun.serve route");
  const bare = await bareReference();
  raw.bare = bare;
  log("argon2id verify ceiling (Bun.password.verify on every core)");
  const ceiling = await hashCeiling();
  raw.hashCeiling = ceiling;

  // -- latchkey
  const dataDir = join(WORK, "data");
  const latchkey = await startLatchkey(dataDir);
  try {
    log(`latchkey on ${latchkey.url}, data in ${dataDir}; registering ${USERS} users`);
    const registered = await inParallel(USERS, 4, (n) => hbpRegister(latchkey.url, n));

    const healthz = await load(latchkey, "/healthz", { connections: CONNECTIONS });
    raw.healthz = healthz;
    rows.push({
      scenario: "`GET /healthz`",
      figure: loadFigure(healthz),
      reference: `bare Bun.serve route: ${rate(bare.wrk.rps)} req/s (p99 ${ms(bare.wrk.p99Ms)})`,
      ratio: percent(healthz.wrk.rps / bare.wrk.rps),
      goal: ">= 80%",
      met: healthz.wrk.rps / bare.wrk.rps >= 0.8,
    });

    // Logins (right password, 64 accounts in turn) with a paced /healthz client beside them.
    log("login, with /healthz beside it");
    const loginEnv = {
      WRK_PATH: "/auth/login",
      WRK_BODY: `{"email":"bench-{n}@example.com","password":"${PASSWORD}","cookie":false}`,
      WRK_USERS: String(USERS),
    };
    await wrkOnce(`${latchkey.url}/auth/login`, { connections: LOGIN_CONNECTIONS, script: "post-users.lua", env: loginEnv }, WARMUP);
    resetPeak(latchkey.pid);
    const [loginWrk, healthzBeside] = await Promise.all([
      wrkOnce(`${latchkey.url}/auth/login`, { connections: LOGIN_CONNECTIONS, script: "post-users.lua", env: loginEnv }, SECONDS),
      (async () => {
        await Bun.sleep(1000); // let the logins fill the CPU first
        return wrkOnce(`${latchkey.url}/healthz`, { connections: 2, script: "paced.lua", env: { WRK_PACE_MS: "10" } }, SECONDS - 2);
      })(),
    ]);
    const login: Load = { wrk: loginWrk, peakRss: memory(latchkey.pid).hwm };
    if (loginWrk.non2xx > 0) throw new Error(`login: ${loginWrk.non2xx} non-2xx answers\n${latchkey.output().slice(-3000)}`);
    log(`login ${rate(loginWrk.rps)}/s; /healthz beside it p50 ${ms(healthzBeside.p50Ms)}, p99 ${ms(healthzBeside.p99Ms)}`);
    raw.login = login;
    raw.healthzBesideLogins = healthzBeside;
    rows.push({
      scenario: "login (`POST /auth/login`, argon2id m=19456 t=2)",
      figure: loadFigure(login, "logins/s"),
      reference: `\`Bun.password.verify\` loop, ${LOGIN_CONNECTIONS} in flight: ${rate(ceiling)} verifies/s`,
      ratio: percent(loginWrk.rps / ceiling),
      goal: ">= 90% of the hash ceiling",
      met: loginWrk.rps / ceiling >= 0.9,
    });
    rows.push({
      scenario: "`GET /healthz` while logins saturate the CPU",
      figure: `p99 ${ms(healthzBeside.p99Ms)} (p50 ${ms(healthzBeside.p50Ms)}, ${rate(healthzBeside.rps)} req/s paced)`,
      reference: "-",
      ratio: ms(healthzBeside.p99Ms),
      goal: "p99 <= 10 ms",
      met: healthzBeside.p99Ms <= 10,
    });

    // Refresh: each answer's rotated token feeds the next request (bench/lua/refresh.lua). Warm-up spends the
    // registration sessions, the measured run a fresh batch of logins.
    log("refresh (rotation chains)");
    const warmTokens = join(WORK, "refresh-warmup.txt");
    writeFileSync(warmTokens, registered.map((session) => session.refresh).join("\n") + "\n");
    const fresh = await inParallel(USERS, 4, (n) => hbpLogin(latchkey.url, n));
    const runTokens = join(WORK, "refresh-run.txt");
    writeFileSync(runTokens, fresh.map((session) => session.refresh).join("\n") + "\n");
    const refresh = await load(latchkey, "/auth/token/refresh", {
      connections: CONNECTIONS,
      script: "refresh.lua",
      env: { WRK_PATH: "/auth/token/refresh?refresh_token=", WRK_TOKENS: runTokens },
      warmupEnv: { WRK_TOKENS: warmTokens },
      rounds: 1, // every token is spent once: another round would need another batch
    });
    raw.refresh = refresh;
    rows.push({
      scenario: "refresh (`GET /auth/token/refresh`, rotation: one claim UPDATE + one INSERT)",
      figure: loadFigure(refresh),
      reference: `bare route: ${rate(bare.wrk.rps)} req/s`,
      ratio: percent(refresh.wrk.rps / bare.wrk.rps),
      goal: ">= 20%",
      met: refresh.wrk.rps / bare.wrk.rps >= 0.2,
    });

    // Authenticated read: lncrawl's GET /api/auth/me (JWT check + the user's row).
    log("authenticated read (lncrawl GET /api/auth/me)");
    const lncrawl = await json(
      await fetch(`${latchkey.url}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: email(0), password: PASSWORD }),
      }),
    );
    const read = await load(latchkey, "/api/auth/me", { connections: CONNECTIONS, headers: [`authorization: Bearer ${lncrawl.token}`] });
    raw.read = read;
    rows.push({
      scenario: "authenticated read (lncrawl `GET /api/auth/me`: Bearer JWT check + the user's row)",
      figure: loadFigure(read),
      reference: `bare route: ${rate(bare.wrk.rps)} req/s`,
      ratio: percent(read.wrk.rps / bare.wrk.rps),
      goal: ">= 35%",
      met: read.wrk.rps / bare.wrk.rps >= 0.35,
    });

    // Download of a public 1 MiB file vs nginx serving a copy of it.
    log("download 1 MiB");
    const jwt = registered[0]!.jwt;
    await curlUpload(latchkey.url, "public/bench/1mib.bin", mibFile, jwt, "application/octet-stream");
    const download = await load(latchkey, "/storage/o/public/bench/1mib.bin", { connections: DOWNLOAD_CONNECTIONS });
    const nginx = await nginxDownload(mibFile);
    raw.download = download;
    raw.nginx = nginx;
    rows.push({
      scenario: "download a 1 MiB file (`GET /storage/o/public/...`)",
      figure: loadFigure(download, "req/s") + `, ${mbPerSecond(download.wrk.bytesPerSecond)}`,
      reference: `nginx (1 worker, sendfile): ${rate(nginx.wrk.rps)} req/s (p99 ${ms(nginx.wrk.p99Ms)})`,
      ratio: percent(download.wrk.rps / nginx.wrk.rps),
      goal: ">= 80% of nginx",
      met: download.wrk.rps / nginx.wrk.rps >= 0.8,
    });

    // Upload 1 GiB (multipart, streamed by curl) vs dd of the same file to the same disk, both synced.
    log("upload 1 GiB");
    await warmCache(bigFile);
    const before = memory(latchkey.pid).rss;
    resetPeak(latchkey.pid);
    const uploadSeconds = await curlUpload(latchkey.url, "public/bench/1gib.bin", bigFile, jwt, "application/octet-stream");
    const uploadPeak = memory(latchkey.pid).hwm;
    const ddOut = join(WORK, "dd.out");
    const dd = parseDd((await mustRun(["dd", `if=${bigFile}`, `of=${ddOut}`, "bs=1M", "conv=fsync"])).stderr);
    rmSync(ddOut, { force: true });
    const uploadSpeed = GIB / uploadSeconds;
    const ddSpeed = dd.bytes / dd.seconds;
    const uploadGrowth = uploadPeak - before;
    log(`upload 1 GiB: ${uploadSeconds.toFixed(2)} s (${mbPerSecond(uploadSpeed)}), RSS +${megabytes(uploadGrowth)}; dd ${mbPerSecond(ddSpeed)}`);
    raw.upload = { seconds: uploadSeconds, rssBefore: before, peak: uploadPeak, dd };
    rows.push({
      scenario: "upload 1 GiB (`POST /storage/o/...`, multipart, synced)",
      figure: `${mbPerSecond(uploadSpeed)} (${uploadSeconds.toFixed(2)} s)`,
      reference: `\`dd bs=1M conv=fsync\` of the same file to the same disk: ${mbPerSecond(ddSpeed)}`,
      ratio: percent(uploadSpeed / ddSpeed),
      goal: ">= 50% of dd",
      met: uploadSpeed / ddSpeed >= 0.5,
    });
    rows.push({
      scenario: "upload 1 GiB: server memory",
      figure: `RSS ${megabytes(before)} before, peak ${megabytes(uploadPeak)}`,
      reference: "-",
      ratio: `+${megabytes(uploadGrowth)}`,
      goal: "growth <= 64 MB",
      met: uploadGrowth <= 64e6,
    });

    // Zip of a 1 GiB folder (16 x 64 MiB, stored: binary data is not deflated) vs `zip -0 -r` of the same files.
    log("zip of a 1 GiB folder");
    for (let index = 0; index < zipParts; index++) {
      await curlUpload(latchkey.url, `public/zipdir/part-${index}.bin`, join(partsDir, `part-${index}.bin`), jwt, "application/octet-stream");
    }
    const objects = join(dataDir, "storage/objects");
    await warmCache(join(objects, "public/zipdir/*"));
    const zipBefore = memory(latchkey.pid).rss;
    resetPeak(latchkey.pid);
    const zipResult = await mustRun(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{size_download}", "--max-time", "600", `${latchkey.url}/storage/o/public/zipdir/`]);
    const zipPeak = memory(latchkey.pid).hwm;
    const [zipCode, zipSecondsText, zipBytesText] = zipResult.stdout.trim().split(" ");
    if (zipCode !== "200") throw new Error(`zip download answered ${zipCode}`);
    const zipSeconds = Number(zipSecondsText);
    const zipBytes = Number(zipBytesText);
    const reference = await mustRun(["zip", "-0", "-r", "-q", "-", "public/zipdir"], { cwd: objects, stdoutFile: "/dev/null" });
    const zipSpeed = zipBytes / zipSeconds;
    const referenceSpeed = zipBytes / (reference.ms / 1000);
    const zipGrowth = zipPeak - zipBefore;
    log(`zip: ${zipSeconds.toFixed(2)} s for ${megabytes(zipBytes)} (${mbPerSecond(zipSpeed)}), RSS +${megabytes(zipGrowth)}; zip -0 -r ${(reference.ms / 1000).toFixed(2)} s`);
    raw.zip = { seconds: zipSeconds, bytes: zipBytes, rssBefore: zipBefore, peak: zipPeak, referenceSeconds: reference.ms / 1000 };
    rows.push({
      scenario: "zip of a 1 GiB folder (`GET /storage/o/public/zipdir/`, 16 files)",
      figure: `${mbPerSecond(zipSpeed)} (${zipSeconds.toFixed(2)} s)`,
      reference: `\`zip -0 -r -q - folder > /dev/null\` of the same files: ${mbPerSecond(referenceSpeed)}`,
      ratio: percent(zipSpeed / referenceSpeed),
      goal: ">= 50% of zip",
      met: zipSpeed / referenceSpeed >= 0.5,
    });
    rows.push({
      scenario: "zip of a 1 GiB folder: server memory",
      figure: `RSS ${megabytes(zipBefore)} before, peak ${megabytes(zipPeak)}`,
      reference: "-",
      ratio: `+${megabytes(zipGrowth)}`,
      goal: "growth <= 64 MB",
      met: zipGrowth <= 64e6,
    });
    // The big files are not needed any more: free the disk.
    for (const key of ["public/bench/1gib.bin", ...Array.from({ length: zipParts }, (_, index) => `public/zipdir/part-${index}.bin`)]) {
      await fetch(`${latchkey.url}/storage/o/${key}`, { method: "DELETE", headers: { authorization: `Bearer ${jwt}` } });
    }

    // Image transforms: the server is warm (both workers have made a variant), then each of 5 copies of the photo
    // in its own folder is transformed for the first time, one after another.
    log("image transform, first and cached");
    const firsts = 5;
    const warmups = 4;
    for (let index = 0; index < firsts + warmups; index++) {
      await curlUpload(latchkey.url, `public/images-${index}/photo.jpg`, photoFile, jwt, "image/jpeg");
    }
    const transform = (index: number) => `/storage/o/public/images-${index}/photo.jpg?w=800&f=webp`;
    for (let index = firsts; index < firsts + warmups; index += 2) {
      await Promise.all([index, index + 1].map(async (n) => (await fetch(latchkey.url + transform(n))).arrayBuffer()));
    }
    const firstRuns: number[] = [];
    let variantBytes = new Uint8Array();
    for (let index = 0; index < firsts; index++) {
      const started = performance.now();
      const response = await fetch(latchkey.url + transform(index));
      variantBytes = new Uint8Array(await response.arrayBuffer());
      firstRuns.push(performance.now() - started);
      if (response.status !== 200 || response.headers.get("content-type") !== "image/webp") throw new Error(`transform answered ${response.status}`);
    }
    const first = median(firstRuns);
    log(`first transform: ${firstRuns.map((value) => value.toFixed(0)).join(", ")} ms`);
    const sharp = await sharpReference(photoFile);
    raw.transformFirst = { runs: firstRuns, variantBytes: variantBytes.length, sharp };
    rows.push({
      scenario: "first image transform (3000x2000 JPEG to `?w=800&f=webp`), server warm",
      figure: `${ms(first)} (median of ${firsts}; ${(variantBytes.length / 1024).toFixed(0)} KiB WebP)`,
      reference: `sharp (libvips) \`resize(800).webp({quality: 80})\`: ${ms(sharp.ms)} (${(sharp.bytes / 1024).toFixed(0)} KiB; on one thread, as latchkey's worker: ${ms(sharp.oneThreadMs)})`,
      ratio: times(first / sharp.ms),
      goal: "<= 1.5x sharp's time",
      met: first / sharp.ms <= 1.5,
    });

    const sameSizeFile = join(WORK, "same-size.webp");
    writeFileSync(sameSizeFile, variantBytes);
    await curlUpload(latchkey.url, "public/bench/same-size.webp", sameSizeFile, jwt, "image/webp");
    const cached = await load(latchkey, transform(0), { connections: CONNECTIONS });
    const sameSize = await load(latchkey, "/storage/o/public/bench/same-size.webp", { connections: CONNECTIONS });
    raw.transformCached = cached;
    raw.sameSizeDownload = sameSize;
    rows.push({
      scenario: "repeat of that transform (cached variant)",
      figure: loadFigure(cached),
      reference: `download of a file of the same size (${(variantBytes.length / 1024).toFixed(0)} KiB): ${rate(sameSize.wrk.rps)} req/s`,
      ratio: percent(cached.wrk.rps / sameSize.wrk.rps),
      goal: ">= 80%",
      met: cached.wrk.rps / sameSize.wrk.rps >= 0.8,
    });
  } finally {
    await latchkey.stop();
  }

  log("start-up of the binary on an empty data dir");
  const startup = await startUp();
  raw.startup = startup;
  rows.push({
    scenario: "start-up of the binary on an empty data dir to the first 200",
    figure: `${ms(startup.ms)} (median of 5: ${startup.runs.map((value) => value.toFixed(0)).join(", ")})`,
    reference: "-",
    ratio: ms(startup.ms),
    goal: "<= 150 ms",
    met: startup.ms <= 150,
  });
  rows.push({
    scenario: "idle RSS after start-up",
    figure: megabytes(startup.idleRss),
    reference: "-",
    ratio: megabytes(startup.idleRss),
    goal: "<= 80 MB",
    met: startup.idleRss <= 80e6,
  });

  log("peer: better-auth");
  const peer = await betterAuth(false);
  const peerCached = await betterAuth(true);
  raw.betterAuth = peer;
  raw.betterAuthCookieCache = peerCached;
  const login = raw.login as Load;
  const refresh = raw.refresh as Load;
  const read = raw.read as Load;
  const peerSignIn = peer.signIn!.wrk.rps;
  const peerSession = peer.getSession.wrk.rps;
  const cacheNote = `; with its cookie cache ${rate(peerCached.getSession.wrk.rps)} req/s`;
  rows.push({
    scenario: "peer: sign-in",
    figure: `latchkey login ${rate(login.wrk.rps)}/s`,
    reference: `better-auth \`POST /api/auth/sign-in/email\`: ${rate(peerSignIn)}/s (p99 ${ms(peer.signIn!.wrk.p99Ms)})`,
    ratio: percent(login.wrk.rps / peerSignIn),
    goal: ">= better-auth's",
    met: login.wrk.rps >= peerSignIn,
  });
  rows.push({
    scenario: "peer: refresh vs its session check",
    figure: `latchkey refresh ${rate(refresh.wrk.rps)} req/s`,
    reference: `better-auth \`GET /api/auth/get-session\`: ${rate(peerSession)} req/s (p99 ${ms(peer.getSession.wrk.p99Ms)})${cacheNote}`,
    ratio: times(refresh.wrk.rps / peerSession),
    goal: ">= 5x",
    met: refresh.wrk.rps / peerSession >= 5,
  });
  rows.push({
    scenario: "peer: authenticated read vs its session check",
    figure: `latchkey \`GET /api/auth/me\` ${rate(read.wrk.rps)} req/s`,
    reference: `better-auth \`GET /api/auth/get-session\`: ${rate(peerSession)} req/s${cacheNote}`,
    ratio: times(read.wrk.rps / peerSession),
    goal: ">= 10x",
    met: read.wrk.rps / peerSession >= 10,
  });

  // -- the report
  const facts = await machineFacts();
  const results = renderResults(
    { command: process.env.BENCH_COMMAND ?? "bash bench/run.sh", date, machine: facts, settings: settings() },
    rows,
  );
  writeFileSync(join(WORK, "results.json"), JSON.stringify({ date, rows, raw, machine: facts }, null, 2));
  const readmePath = join(ROOT, "bench/README.md");
  const readme = existsSync(readmePath) ? readFileSync(readmePath, "utf8") : "# Benchmarks\n";
  writeFileSync(readmePath, spliceResults(readme, results));
  console.log(`\n${results}\n`);
  log(`written: bench/README.md, ${join(WORK, "results.json")}`);
}

function settings(): string[] {
  return [
    `latchkey: the compiled binary \`dist/latchkey\`, fresh data dir, \`HOST=127.0.0.1\`, ${Object.entries(LATCHKEY_ENV).map(([name, value]) => `\`${name}=${value}\``).join(", ")}; everything else default (argon2id m=19456 t=2, HS512 JWTs, \`RATE_LIMIT_*\` defaults: logins use the right password, ${USERS} accounts in turn, so no limit is reached)`,
    `wrk: 1 thread, ${CONNECTIONS} connections for small requests, ${LOGIN_CONNECTIONS} for logins, ${DOWNLOAD_CONNECTIONS} for 1 MiB downloads; ${WARMUP} s warm-up, then ${SECONDS} s measured${ROUNDS > 1 ? ` (best of ${ROUNDS} runs, except refresh and login)` : ""}`,
    "refresh: each answer's rotated token is the next request's (bench/lua/refresh.lua), starting from 64 sessions; every token is used once",
    "peak RSS: /proc/<pid>/clear_refs reset before each measured run, VmHWM after",
  ];
}

async function machineFacts(): Promise<string[]> {
  const version = async (cmd: string[]) => {
    const result = await run(cmd);
    return (result.stdout + result.stderr).trim().split("\n")[0] ?? "?";
  };
  const peerPackage = (name: string) => {
    try {
      return JSON.parse(readFileSync(join(PEER, "node_modules", name, "package.json"), "utf8")).version;
    } catch {
      return "?";
    }
  };
  const kernel = (await run(["uname", "-r"])).stdout.trim();
  return [
    `${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${(totalmem() / GIB).toFixed(0)} GiB, Linux ${kernel}`,
    `Bun ${Bun.version} (latchkey ${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}, binary ${megabytes(statSync(BIN).size)})`,
    `${await version(["wrk", "--version"])}`.replace(/ Copyright.*/, ""),
    `${await version(["nginx", "-v"])}`,
    ((await run(["zip", "-v"])).stdout.match(/This is Zip [^,]*/)?.[0] ?? "zip").replace("This is ", ""),
    `better-auth ${peerPackage("better-auth")}, sharp ${peerPackage("sharp")} (bench/peer)`,
  ];
}

await main();
process.exit(0);
