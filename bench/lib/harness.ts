// The parts of the benchmarks that every bench script shares (bench/run.ts, bench/backends.ts): processes, wrk
// loads, contests in rounds, inputs, and latchkey's API as a client. Moved out of bench/run.ts unchanged.
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { parseProcStatus, parseWrk, type ProcMemory, type WrkResult } from "./parse.ts";
import { pairedRatio, rate, ms, megabytes, type PairedRatio } from "./report.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const WORK = join(ROOT, "bench/.work");
export const PEER = join(ROOT, "bench/peer");
export const LUA = join(ROOT, "bench/lua");
export const BIN = join(ROOT, "dist/latchkey");
export const BUN = process.execPath;
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
export const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
/**
 * Rounds of each contest: in each, latchkey and its references run back to back (in reverse order every other
 * round), and each comparison is the median of the rounds' ratios (see contest()).
 */
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
export const PASSWORD = "bench-password-1";
export const USERS = 64;
export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;
/** Connections for small requests (one wrk thread: the machine has two cores, one is the server's). */
export const CONNECTIONS = 32;
/** Connections for logins: enough to keep both cores hashing; one account per connection at most. */
export const LOGIN_CONNECTIONS = 8;
/** Connections for 1 MiB downloads. */
export const DOWNLOAD_CONNECTIONS = 16;
/** What the bench run sets for latchkey beyond its defaults (lncrawl is off by default; the read is its GET /me). */
export const LATCHKEY_ENV: Record<string, string> = { MAX_UPLOAD_SIZE: "2GB", LNCRAWL_ENABLED: "true" };

export const log = (message: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

// ---------------------------------------------------------------------------------------------------------
// Processes

export interface Command {
  stdout: string;
  stderr: string;
  code: number;
  ms: number;
}

/** Runs a command to its end (killed after timeoutMs); stdout may go to a file instead of memory. */
export async function run(cmd: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; stdoutFile?: string } = {}): Promise<Command> {
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

export async function mustRun(cmd: string[], options: Parameters<typeof run>[1] = {}): Promise<Command> {
  const result = await run(cmd, options);
  if (result.code !== 0) throw new Error(`${cmd.join(" ")} exited ${result.code}: ${result.stderr.slice(0, 2000)}`);
  return result;
}

export async function freePort(): Promise<number> {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port!;
  await server.stop(true);
  return port;
}

export function memory(pid: number): ProcMemory {
  return parseProcStatus(readFileSync(`/proc/${pid}/status`, "utf8"));
}

/** Resets the peak RSS (VmHWM) of a process to its current RSS. */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

export interface Server {
  name: string;
  url: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a server and waits until `readyPath` answers (any status). `readyMs` (default 30 s): how long it may take;
 * `stopMs` (default 10 s): how long stop() waits after SIGTERM before SIGKILL; `keepOutput` (default 20,000): how
 * many of the last characters of its output are kept.
 */
export async function startServer(
  name: string,
  cmd: string[],
  options: { cwd: string; env: Record<string, string>; url: string; readyPath: string; readyMs?: number; stopMs?: number; keepOutput?: number },
): Promise<Server> {
  const keepOutput = options.keepOutput ?? 20_000;
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
    for await (const chunk of stream) output = (output + decoder.decode(chunk, { stream: true })).slice(-keepOutput);
  };
  void collect(child.stdout);
  void collect(child.stderr);
  const deadline = Date.now() + (options.readyMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited ${child.exitCode}:\n${output}`);
    try {
      await fetch(options.url + options.readyPath);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`${name} did not answer within ${(options.readyMs ?? 30_000) / 1000} s:\n${output}`);
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
      const timer = setTimeout(() => child.kill("SIGKILL"), options.stopMs ?? 10_000);
      await child.exited;
      clearTimeout(timer);
    },
  };
}

/** latchkey's binary on a fresh data dir; `env` adds settings (e.g. DATABASE_URL and STORAGE_URL). */
export async function startLatchkey(dataDir: string, env: Record<string, string> = {}, name = "latchkey"): Promise<Server> {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  return startServer(name, [BIN, "serve"], {
    cwd: dataDir,
    env: { HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir, ...LATCHKEY_ENV, ...env },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/healthz",
  });
}

// ---------------------------------------------------------------------------------------------------------
// Load

export interface WrkOptions {
  connections: number;
  threads?: number;
  seconds?: number;
  script?: string;
  env?: Record<string, string>;
  headers?: string[];
}

export async function wrkOnce(url: string, options: WrkOptions, seconds: number): Promise<WrkResult> {
  const threads = options.threads ?? 1;
  const cmd = ["wrk", "-t", String(threads), "-c", String(options.connections), "-d", `${seconds}s`, "--latency", "--timeout", "10s"];
  if (options.script) cmd.push("-s", join(LUA, options.script));
  for (const header of options.headers ?? []) cmd.push("-H", header);
  cmd.push(url);
  const result = await mustRun(cmd, { env: { WRK_THREADS: String(threads), ...options.env }, timeoutMs: (seconds + 30) * 1000 });
  return parseWrk(result.stdout);
}

export interface Load {
  /** The median run (by throughput): the figures shown. */
  wrk: WrkResult;
  /** Every measured run, round by round: runs[i] ran in round i, beside the other contenders' runs[i]. */
  runs: WrkResult[];
  /** The server's peak RSS over the measured runs, bytes. */
  peakRss: number;
}

/** latchkey's load against a reference's, round by round (throughput). */
export const versus = (latchkey: Load, reference: Load): PairedRatio =>
  pairedRatio(latchkey.runs.map((run) => run.rps), reference.runs.map((run) => run.rps));

export const loadFigure = (result: Load, unit = "req/s") =>
  `${rate(result.wrk.rps)} ${unit} (p50 ${ms(result.wrk.p50Ms)}, p99 ${ms(result.wrk.p99Ms)}; peak RSS ${megabytes(result.peakRss)})`;

// ---------------------------------------------------------------------------------------------------------
// Inputs

export async function randomFile(file: string, bytes: number): Promise<void> {
  if (existsSync(file) && statSync(file).size === bytes) return;
  await mustRun(["dd", "if=/dev/urandom", `of=${file}`, "bs=1M", `count=${bytes / MIB}`, "status=none"]);
}

/** Reads a file so the page cache holds it (both sides of a comparison then read from memory). */
export async function warmCache(path: string): Promise<void> {
  await mustRun(["sh", "-c", `cat ${path} > /dev/null`]);
}

// ---------------------------------------------------------------------------------------------------------
// latchkey's API, as a client

export async function json(response: Response): Promise<any> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status} ${response.url}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

export const email = (n: number) => `bench-${n}@example.com`;

export async function hbpRegister(url: string, n: number): Promise<{ jwt: string; refresh: string }> {
  const body = await json(
    await fetch(`${url}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: email(n), password: PASSWORD, cookie: false }),
    }),
  );
  return { jwt: body.jwt_token, refresh: body.refresh_token };
}

/** An access token's subject: the account's id (HBP's JWT `sub`). */
export function jwtSubject(jwt: string): string {
  return JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()).sub as string;
}

/** Signs bench account `n` in through lncrawl's `POST /api/auth/login`: its lncrawl JWT. */
export async function lncrawlLogin(url: string, n = 0): Promise<string> {
  const answer = await json(
    await fetch(`${url}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: email(n), password: PASSWORD }) }),
  );
  return answer.token as string;
}

export async function hbpLogin(url: string, n: number): Promise<{ jwt: string; refresh: string }> {
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
export async function inParallel<T>(count: number, parallel: number, task: (n: number) => Promise<T>): Promise<T[]> {
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
export async function curlUpload(url: string, key: string, file: string, jwt: string, contentType: string): Promise<number> {
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
// Contests: latchkey and its references measured in turns, round by round (A B C, then C B A, ...). A comparison is
// the median of its rounds' ratios: the two runs of a round are seconds apart, so the machine's drift (other work on
// a shared machine comes and goes, for minutes) falls on both sides of each ratio, where the best run of each side
// could come from different minutes (a 2.1x swing of dd between two rounds once made the upload "miss").

export interface Contender {
  name: string;
  /** The process whose peak RSS is reported; null for none. */
  pid: number | null;
  /** Untimed warm-up (WARMUP seconds). */
  warmup?: () => Promise<unknown>;
  /** One measured run. */
  measure: () => Promise<WrkResult>;
  /** Errors refuse the result (a run with failed requests is not a figure). Default true. */
  strict?: boolean;
}

export async function contest(title: string, contenders: Contender[], rounds = ROUNDS): Promise<Record<string, Load>> {
  log(`${title}: ${contenders.map((contender) => contender.name).join(" / ")}, ${rounds} round(s)`);
  for (const contender of contenders) if (WARMUP > 0 && contender.warmup) await contender.warmup();
  const runs: Record<string, WrkResult[]> = Object.fromEntries(contenders.map((contender) => [contender.name, []]));
  const peaks: Record<string, number> = {};
  for (const contender of contenders) if (contender.pid !== null) resetPeak(contender.pid);
  for (let round = 0; round < rounds; round++) {
    // Every other round in reverse, so that no contender always runs first (or right after the heaviest).
    for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const result = await contender.measure();
      if ((contender.strict ?? true) && (result.non2xx > 0 || result.socketErrors > 0)) {
        throw new Error(`${contender.name}: ${result.non2xx} non-2xx answers, ${result.socketErrors} socket errors`);
      }
      log(`  ${contender.name}: ${rate(result.rps)} req/s, p50 ${ms(result.p50Ms)}, p99 ${ms(result.p99Ms)}`);
      runs[contender.name]!.push(result);
      if (contender.pid !== null) peaks[contender.name] = Math.max(peaks[contender.name] ?? 0, memory(contender.pid).hwm);
    }
  }
  const medianRun = (results: WrkResult[]) => [...results].sort((a, b) => a.rps - b.rps)[Math.floor((results.length - 1) / 2)]!;
  return Object.fromEntries(
    contenders.map((contender) => [contender.name, { wrk: medianRun(runs[contender.name]!), runs: runs[contender.name]!, peakRss: peaks[contender.name] ?? 0 }]),
  );
}

/** A contender that is a wrk load on a server. */
export function wrkContender(name: string, server: Server, path: string, options: WrkOptions): Contender {
  return {
    name,
    pid: server.pid,
    warmup: () => wrkOnce(server.url + path, options, WARMUP),
    measure: () => wrkOnce(server.url + path, options, SECONDS),
  };
}
