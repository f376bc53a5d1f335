// What bench/scale.ts and the tools beside it (bench/tools/scale-purge.ts) share: latchkey on a seeded data directory,
// the routes measured at scale, and latchkey's API as a client. Process helpers and wrk come from ./harness.ts.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { WrkResult } from "./parse.ts";
import { BIN, freePort, inParallel, json, startServer, WORK, wrkOnce, type Server } from "./harness.ts";
import { scaleEmail, SCALE_PASSWORD, docsFolder, seedScale } from "../seed-scale.ts";

export const ACCOUNTS = Number(process.env.SCALE_ACCOUNTS ?? 1_000_000);
export const CONNECTIONS = 32;
export const HASH_CONNECTIONS = 8;
/** The accounts the bench signs in as: n = 101, 111, ... 731 (n % 10 == 1: no TOTP); 101 owns a docs folder. */
const benchAccount = (i: number) => Number(`1${i}1`);
const LOGIN_ACCOUNTS = 64;
export const READER = 101;
const LATCHKEY_ENV: Record<string, string> = { HOST: "127.0.0.1", LOG_LEVEL: "info" };

/** latchkey's binary on `dataDir` as it is (harness.ts's startLatchkey empties it first); `env` adds settings. */
export async function startLatchkeyOn(name: string, dataDir: string, env: Record<string, string> = {}, bin = BIN): Promise<Server> {
  const port = await freePort();
  return startServer(name, [bin, "serve"], {
    cwd: dataDir,
    env: { HOME: dataDir, PORT: String(port), DATA_DIR: dataDir, ...LATCHKEY_ENV, ...env },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/healthz",
    readyMs: 120_000,
    stopMs: 600_000, // a purge under way is waited for
    keepOutput: 200_000,
  });
}

/** A data directory with a migrated, empty database (the binary started on it once). */
export async function migratedDataDir(dataDir: string): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const server = await startLatchkeyOn("migration", dataDir);
  await server.stop();
}

export interface Seeding {
  ms: number;
  rows: number;
}

/** The kept seed of SCALE_SEED_REUSE runs: never served, copied for each run. */
export const keptSeedDir = (accounts: number) => join(WORK, `scale-seed-${accounts}`);
const SEEDING_FACTS = "seeding.json";

/**
 * Seeds `dataDir` with `accounts` accounts. With `reuse`, the seed is made once into keptSeedDir (with how long it
 * took, in seeding.json) and copied into `dataDir` (hard links inside it kept: `cp -a`) on every later run: seeding
 * takes minutes, a copy seconds; a run's purge and writes then never change the next run's data.
 */
export async function seededDataDir(dataDir: string, accounts: number, options: { reuse: boolean; log: (line: string) => void }): Promise<Seeding & { reused: boolean }> {
  const target = options.reuse ? keptSeedDir(accounts) : dataDir;
  const facts = join(target, SEEDING_FACTS);
  let reused = options.reuse && existsSync(facts);
  let seeding: Seeding;
  if (reused) {
    seeding = JSON.parse(readFileSync(facts, "utf8"));
    options.log(`reusing the seed in ${target} (made in ${(seeding.ms / 1000).toFixed(0)} s)`);
  } else {
    await migratedDataDir(target);
    seeding = await seedScale(target, accounts, { log: options.log });
    if (options.reuse) writeFileSync(facts, JSON.stringify(seeding));
  }
  if (options.reuse) {
    rmSync(dataDir, { recursive: true, force: true });
    const started = performance.now();
    await copyDir(target, dataDir);
    rmSync(join(dataDir, SEEDING_FACTS), { force: true });
    options.log(`copied into ${dataDir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return { ...seeding, reused };
}

export async function copyDir(from: string, to: string): Promise<void> {
  // cp -a keeps the storage's hard links as links (one blob under 50,000 keys); cpSync would copy each. -H: a kept
  // seed that is a symbolic link (to another checkout's) is copied as the directory it names; without it cp -a
  // copied the link, and the server then ran, and purged, the kept seed itself.
  const child = Bun.spawn(["cp", "-a", "-H", "--reflink=auto", from, to], { stdout: "ignore", stderr: "pipe" });
  if ((await child.exited) !== 0) throw new Error(`cp -a ${from} ${to}: ${await new Response(child.stderr).text()}`);
}

// ---------------------------------------------------------------------------------------------------------
// The API, as a client

const post = (url: string, body: unknown) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

export async function login(server: Server, n: number): Promise<{ jwt: string; refresh: string; userId: string }> {
  const body = await json(await post(`${server.url}/auth/login`, { email: scaleEmail(n), password: SCALE_PASSWORD, cookie: false }));
  return { jwt: body.jwt_token, refresh: body.refresh_token, userId: body.user.id };
}

export async function register(server: Server, n: number): Promise<void> {
  await json(await post(`${server.url}/auth/register`, { email: scaleEmail(n), password: SCALE_PASSWORD, cookie: false }));
}

export async function upload(server: Server, jwt: string, key: string, content: string): Promise<void> {
  const form = new FormData();
  form.append("file", new Blob([content], { type: "text/plain" }), "file.txt");
  await json(await fetch(`${server.url}/storage/o/${key}`, { method: "POST", headers: { authorization: `Bearer ${jwt}` }, body: form }));
}

// ---------------------------------------------------------------------------------------------------------
// Routes under load

/** What a route needs on one server: tokens, a JWT, the reader's id; made once per server. */
export interface Prepared {
  readerJwt: string;
  readerId: string;
}

export interface Route {
  name: string;
  goal: string;
  run(server: Server, prepared: Prepared, seconds: number): Promise<WrkResult>;
}

let signUps = 0;
export const routes: Route[] = [
  {
    name: "login (`POST /auth/login`)",
    goal: "argon2id-bound",
    run: (server, _prepared, seconds) =>
      wrkOnce(`${server.url}/auth/login`, {
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
      return wrkOnce(`${server.url}/auth/token/refresh`, { connections: CONNECTIONS, script: "refresh.lua", env: { WRK_PATH: "/auth/token/refresh?refresh_token=", WRK_TOKENS: tokens } }, seconds);
    },
  },
  {
    name: "authenticated read (`GET /storage/m/user/<id>/a.txt`, Bearer JWT)",
    goal: "",
    run: (server, prepared, seconds) =>
      wrkOnce(`${server.url}/storage/m/user/${prepared.readerId}/a.txt`, { connections: CONNECTIONS, headers: [`authorization: Bearer ${prepared.readerJwt}`] }, seconds),
  },
  {
    name: "metadata listing of a 100-file folder (`GET /storage/m/user/<id>/docs/`)",
    goal: "",
    run: (server, prepared, seconds) =>
      wrkOnce(`${server.url}/storage/m/${docsFolder(prepared.readerId)}`, { connections: CONNECTIONS, headers: [`authorization: Bearer ${prepared.readerJwt}`] }, seconds),
  },
  {
    name: "sign-up (`POST /auth/register`)",
    goal: "",
    run: (server, _prepared, seconds) =>
      wrkOnce(`${server.url}/auth/register`, {
        connections: HASH_CONNECTIONS,
        script: "post-users.lua",
        // Every request a new address: {n} counts up within the run, the run's number keeps runs apart.
        env: { WRK_PATH: "/auth/register", WRK_USERS: "1000000000", WRK_BODY: `{"email":"signup-${signUps++}-{n}@example.com","password":"${SCALE_PASSWORD}","cookie":false}` },
      }, seconds),
  },
];

/** Accounts, the reader's file and its 100-file folder, on a server (the seeded one has the accounts and folder). */
export async function prepare(server: Server, seeded: boolean): Promise<Prepared> {
  if (!seeded) await inParallel(LOGIN_ACCOUNTS, 4, (i) => register(server, benchAccount(i)));
  const reader = await login(server, READER);
  await upload(server, reader.jwt, `user/${reader.userId}/a.txt`, "a file to read\n");
  if (!seeded) await inParallel(100, 8, (i) => upload(server, reader.jwt, `${docsFolder(reader.userId)}file-${String(i).padStart(2, "0")}.txt`, "seeded file\n"));
  return { readerJwt: reader.jwt, readerId: reader.userId };
}

export function refuseErrors(name: string, result: WrkResult): WrkResult {
  if (result.non2xx > 0 || result.socketErrors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.socketErrors} socket errors`);
  return result;
}

/** The purge's own log line, once it has ended: rows and ms. */
export const purgeLine = (server: Server) => server.output().match(/expired rows purged.*rows=(\d+).*ms=(\d+)/);

export const databaseBytes = (dataDir: string) =>
  ["latchkey.db", "latchkey.db-wal"].map((name) => join(dataDir, name)).filter(existsSync).reduce((total, file) => total + statSync(file).size, 0);

