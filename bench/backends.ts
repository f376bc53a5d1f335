// latchkey on PostgreSQL + S3 beside latchkey on SQLite + disk (issue 29, item 6). Start it with
// `bash bench/run.sh --backend postgres-s3` (which builds dist/latchkey and has wrk installed first).
//
// Two instances of the same binary run side by side on 127.0.0.1: one on its defaults (SQLite and files in its data
// dir), one with DATABASE_URL (a local PostgreSQL, started from Debian's binaries by test/support/postgres.ts) and
// STORAGE_URL (s3rver, bench/lib/s3-counted.ts). Each scenario's contenders take turns in rounds as in bench/run.ts,
// so every ratio compares runs made seconds apart. A third instance on the same database and bucket reaches
// PostgreSQL through a counting proxy (bench/lib/pg-counter.ts): requests sent to it one at a time give each route's
// round trips to PostgreSQL and requests to S3. Writes its table into bench/README.md between its own markers and
// the raw figures into bench/.work/backends.json.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { startPostgres } from "../test/support/postgres.ts";
import {
  BIN, CONNECTIONS, DOWNLOAD_CONNECTIONS, LOGIN_CONNECTIONS, MIB, PASSWORD, ROOT, ROUNDS, SECONDS, USERS, WARMUP, WORK,
  contest, curlUpload, freePort, hbpLogin, hbpRegister, inParallel, json, jwtSubject, lncrawlLogin, log, randomFile, run, startLatchkey, startServer,
  BUN, versus, wrkContender, wrkOnce, email, type Load, type Server,
} from "./lib/harness.ts";
import { startPgCounter, type PgCounts } from "./lib/pg-counter.ts";
import { mbPerSecond, median, ms, pairedPercent, pairedRatio, rate, type PairedRatio } from "./lib/report.ts";
import { startCountedS3 } from "./lib/s3-counted.ts";

const BEGIN = "<!-- bench:backends:begin (written by bench/backends.ts) -->";
const END = "<!-- bench:backends:end -->";
/** Size of the upload scenario (MiB): s3rver is a Node process writing to a temporary folder, 1 GiB would mostly measure it. */
const UPLOAD_MIB = Number(process.env.BENCH_UPLOAD_MIB ?? 256);
/** Requests per route for the round-trip counts (one at a time). */
const COUNT_REQUESTS = 20;

interface RowOut {
  scenario: string;
  sqlite: string;
  postgres: string;
  ratio: string;
  goal: string;
  met: boolean | null;
  trips: string;
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`bun run build\` first (bench/run.sh does)`);
  mkdirSync(WORK, { recursive: true });
  const date = new Date().toISOString().replace("T", " ").slice(0, 16) + " UTC";
  const mibFile = join(WORK, "1mib.bin");
  const uploadFile = join(WORK, `${UPLOAD_MIB}mib.bin`);
  await randomFile(mibFile, MIB);
  await randomFile(uploadFile, UPLOAD_MIB * MIB);
  const readerFile = join(WORK, "a.txt");
  writeFileSync(readerFile, "a file to read\n");

  const servers: Server[] = [];
  const postgres = await startPostgres();
  const s3 = await startCountedS3();
  const databaseUrl = await postgres.database();
  const bucket = await s3.bucketEnv();
  const proxied = new URL(databaseUrl);
  const counter = startPgCounter({ host: proxied.hostname, port: Number(proxied.port) });
  proxied.port = String(counter.port);
  const rows: RowOut[] = [];
  const raw: Record<string, unknown> = {};
  try {
    const barePort = await freePort();
    const bare = await startServer("bare Bun.serve", [BUN, join(ROOT, "bench/ref/bare.ts")], {
      cwd: ROOT,
      env: { PORT: String(barePort) },
      url: `http://127.0.0.1:${barePort}`,
      readyPath: "/healthz",
    });
    servers.push(bare);
    const sqlite = await startLatchkey(join(WORK, "data-sqlite"), {}, "latchkey sqlite");
    servers.push(sqlite);
    const pg = await startLatchkey(join(WORK, "data-pg"), { DATABASE_URL: databaseUrl, ...bucket }, "latchkey postgres-s3");
    servers.push(pg);
    log(`latchkey on SQLite ${sqlite.url}, on PostgreSQL + S3 ${pg.url} (${databaseUrl.replace(/\/\/[^@]*@/, "//")}, ${s3.endpoint})`);

    const prepare = async (server: Server) => {
      const registered = await inParallel(USERS, 4, (n) => hbpRegister(server.url, n));
      const lncrawl = await lncrawlLogin(server.url);
      const jwt = registered[0]!.jwt as string;
      await curlUpload(server.url, "public/bench/1mib.bin", mibFile, jwt, "application/octet-stream");
      // The authenticated storage read's file: one of bench-0's own (the JWT's subject), as bench/run.ts reads it.
      const readPath = `/storage/m/user/${jwtSubject(jwt)}/a.txt`;
      await curlUpload(server.url, readPath.slice("/storage/m/".length), readerFile, jwt, "text/plain");
      return { jwt, lncrawl, readPath };
    };
    const onSqlite = await prepare(sqlite);
    const onPg = await prepare(pg);

    const refreshRun = (server: Server, tag: string) => async (seconds: number) => {
      const sessions = await inParallel(USERS, 4, (n) => hbpLogin(server.url, n));
      const tokens = join(WORK, `refresh-tokens-${tag}.txt`);
      writeFileSync(tokens, sessions.map((session) => session.refresh).join("\n") + "\n");
      return wrkOnce(`${server.url}/auth/token/refresh`, { connections: CONNECTIONS, script: "refresh.lua", env: { WRK_PATH: "/auth/token/refresh?refresh_token=", WRK_TOKENS: tokens } }, seconds);
    };
    const refreshContender = (name: string, server: Server, tag: string) => {
      const runOnce = refreshRun(server, tag);
      return { name, pid: server.pid, warmup: () => runOnce(WARMUP), measure: () => runOnce(SECONDS) };
    };

    // -- small requests, in turns: the bare route, then each route on both backends.
    const small = await contest("small requests", [
      wrkContender("bare", bare, "/healthz", { connections: CONNECTIONS }),
      wrkContender("healthz sqlite", sqlite, "/healthz", { connections: CONNECTIONS }),
      wrkContender("healthz postgres", pg, "/healthz", { connections: CONNECTIONS }),
      refreshContender("refresh sqlite", sqlite, "sqlite"),
      refreshContender("refresh postgres", pg, "pg"),
      wrkContender("read sqlite", sqlite, "/api/auth/me", { connections: CONNECTIONS, headers: [`authorization: Bearer ${onSqlite.lncrawl}`] }),
      wrkContender("read postgres", pg, "/api/auth/me", { connections: CONNECTIONS, headers: [`authorization: Bearer ${onPg.lncrawl}`] }),
      wrkContender("storage read sqlite", sqlite, onSqlite.readPath, { connections: CONNECTIONS, headers: [`authorization: Bearer ${onSqlite.jwt}`] }),
      wrkContender("storage read postgres", pg, onPg.readPath, { connections: CONNECTIONS, headers: [`authorization: Bearer ${onPg.jwt}`] }),
    ]);
    raw.small = small;

    const loginEnv = {
      WRK_PATH: "/auth/login",
      WRK_BODY: `{"email":"bench-{n}@example.com","password":"${PASSWORD}","cookie":false}`,
      WRK_USERS: String(USERS),
    };
    const loginContender = (name: string, server: Server) => {
      const runOnce = (seconds: number) => wrkOnce(`${server.url}/auth/login`, { connections: LOGIN_CONNECTIONS, script: "post-users.lua", env: loginEnv }, seconds);
      return { name, pid: server.pid, warmup: () => runOnce(WARMUP), measure: () => runOnce(SECONDS) };
    };
    const logins = await contest("logins", [loginContender("login sqlite", sqlite), loginContender("login postgres", pg)]);
    raw.logins = logins;

    const downloads = await contest("download 1 MiB", [
      wrkContender("download sqlite", sqlite, "/storage/o/public/bench/1mib.bin", { connections: DOWNLOAD_CONNECTIONS }),
      wrkContender("download postgres", pg, "/storage/o/public/bench/1mib.bin", { connections: DOWNLOAD_CONNECTIONS }),
    ]);
    raw.downloads = downloads;

    log(`upload ${UPLOAD_MIB} MiB`);
    const uploads: { sqlite: number; postgres: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const once = async (server: Server, jwt: string) => {
        const seconds = await curlUpload(server.url, `public/bench/up-${round}.bin`, uploadFile, jwt, "application/octet-stream");
        await fetch(`${server.url}/storage/o/public/bench/up-${round}.bin`, { method: "DELETE", headers: { authorization: `Bearer ${jwt}` } });
        return (UPLOAD_MIB * MIB) / seconds;
      };
      const first = round % 2 === 0;
      const a = first ? await once(sqlite, onSqlite.jwt) : 0;
      const b = await once(pg, onPg.jwt);
      const c = first ? a : await once(sqlite, onSqlite.jwt);
      uploads.push({ sqlite: c, postgres: b });
      log(`  upload sqlite ${mbPerSecond(c)}, postgres-s3 ${mbPerSecond(b)}`);
    }
    raw.uploads = uploads;

    // -- round trips: a third instance on the same database and bucket, through the counting proxy.
    const counted = await startLatchkey(join(WORK, "data-counted"), { DATABASE_URL: proxied.toString(), ...bucket }, "latchkey counted");
    servers.push(counted);
    const trips = await countRoundTrips(counted, counter.counts, s3.counts, onPg.readPath);
    raw.roundTrips = trips;
    for (const [route, figure] of Object.entries(trips)) log(`  ${route}: ${describeTrips(figure)}`);

    // -- the table
    const bareLoad = small.bare;
    const pair = (scenario: string, a: Load, b: Load, tripsOf: string, goal?: { ratio: number; text: string }, unit = "req/s", ofBare = false): void => {
      const ratio = versus(b, a);
      const bareText = (load: Load) => (bareLoad && ofBare ? ` (${Math.round(100 * median(load.runs.map((run, i) => run.rps / bareLoad.runs[i]!.rps)))}% of bare)` : "");
      rows.push({
        scenario,
        sqlite: `${rate(a.wrk.rps)} ${unit}, p99 ${ms(a.wrk.p99Ms)}${bareText(a)}`,
        postgres: `${rate(b.wrk.rps)} ${unit}, p99 ${ms(b.wrk.p99Ms)}${bareText(b)}`,
        ratio: pairedPercent(ratio),
        goal: goal?.text ?? "-",
        met: goal ? ratio.median >= goal.ratio : null,
        trips: describeTrips(trips[tripsOf]!),
      });
    };
    const third = { ratio: 1 / 3, text: ">= 33% (within 3x)" };
    pair("`GET /healthz`", small["healthz sqlite"]!, small["healthz postgres"]!, "healthz", undefined, "req/s", true);
    pair("refresh (`GET /auth/token/refresh`)", small["refresh sqlite"]!, small["refresh postgres"]!, "refresh", third, "req/s", true);
    pair("authenticated read (lncrawl `GET /api/auth/me`)", small["read sqlite"]!, small["read postgres"]!, "read", third, "req/s", true);
    pair("authenticated storage read (`GET /storage/m/user/<id>/a.txt`)", small["storage read sqlite"]!, small["storage read postgres"]!, "storage read", third, "req/s", true);
    pair("login (`POST /auth/login`)", logins["login sqlite"]!, logins["login postgres"]!, "login", undefined, "logins/s");
    pair("download 1 MiB (`GET /storage/o/public/...`)", downloads["download sqlite"]!, downloads["download postgres"]!, "download");
    const uploadRatio: PairedRatio = pairedRatio(uploads.map((u) => u.postgres), uploads.map((u) => u.sqlite));
    rows.push({
      scenario: `upload ${UPLOAD_MIB} MiB (\`POST /storage/o/...\`, multipart)`,
      sqlite: `${mbPerSecond(median(uploads.map((u) => u.sqlite)))} (median of ${uploads.length})`,
      postgres: `${mbPerSecond(median(uploads.map((u) => u.postgres)))} (median of ${uploads.length})`,
      ratio: pairedPercent(uploadRatio),
      goal: "-",
      met: null,
      trips: describeTrips(trips.upload!),
    });
  } finally {
    for (const server of servers.reverse()) await server.stop().catch(() => {});
    counter.stop();
    await s3.stop().catch(() => {});
    await postgres.stop().catch(() => {});
  }

  const pgVersion = (await run(["bash", "-c", "ls /usr/lib/postgresql | sort -n | tail -1"])).stdout.trim();
  const goals = rows.filter((row) => row.met !== null);
  const text = [
    BEGIN,
    `Latest run: \`${process.env.BENCH_COMMAND ?? "bash bench/run.sh --backend postgres-s3"}\`, ${date}. ${goals.filter((row) => row.met).length} of ${goals.length} goals met.`,
    "",
    "| scenario | SQLite + disk | PostgreSQL + S3 (s3rver) | PostgreSQL vs SQLite | goal | | round trips a request (PostgreSQL + S3) |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((row) => `| ${row.scenario} | ${row.sqlite} | ${row.postgres} | ${row.ratio} | ${row.goal} | ${row.met === null ? "" : row.met ? "met" : "**missed**"} | ${row.trips} |`),
    "",
    `- ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores (shared with other jobs), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB; Bun ${Bun.version}; PostgreSQL ${pgVersion} (Debian's binaries, test/support/postgres.ts: fsync, synchronous_commit and full_page_writes off; SQLite runs WAL with synchronous=NORMAL, which does not sync at commit either); s3rver under Node, objects in /tmp; binary ${(statSync(BIN).size / 1e6).toFixed(0)} MB`,
    `- wrk: 1 thread, ${CONNECTIONS} connections (${LOGIN_CONNECTIONS} for logins, ${DOWNLOAD_CONNECTIONS} for downloads); ${WARMUP} s warm-up, ${ROUNDS} rounds of ${SECONDS} s, contenders in turns (reversed every other round); a ratio is the median of the rounds' ratios (each round's in brackets); "of bare": median of the rounds' ratios to the bare Bun.serve route in the same contest`,
    `- round trips: ${COUNT_REQUESTS} requests one at a time to a third instance reaching PostgreSQL through bench/lib/pg-counter.ts (a round trip is a Sync or a simple Query; "parsed" counts statements prepared anew); S3 requests counted in s3rver by method`,
    END,
  ].join("\n");
  writeFileSync(join(WORK, "backends.json"), JSON.stringify({ date, rows, raw }, null, 2));
  const readmePath = join(ROOT, "bench/README.md");
  const readme = readFileSync(readmePath, "utf8");
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  writeFileSync(readmePath, begin < 0 || end < begin ? `${readme.trimEnd()}\n\n${text}\n` : readme.slice(0, begin) + text + readme.slice(end + END.length));
  console.log(`\n${text}\n`);
  rmSync(join(WORK, "data-counted"), { recursive: true, force: true });
}

interface Trips {
  requests: number;
  pg: PgCounts;
  s3: Record<string, number>;
}

function describeTrips(trips: Trips): string {
  const per = (value: number) => Number((value / trips.requests).toFixed(2));
  const s3 = Object.entries(trips.s3).filter(([, n]) => n > 0).map(([method, n]) => `${per(n)} ${method}`).join(" + ");
  return `PostgreSQL ${per(trips.pg.roundTrips)} (${per(trips.pg.executes)} statements, ${per(trips.pg.parses)} parsed); S3 ${s3 || "0"}`;
}

/** Each route's PostgreSQL and S3 traffic per request, requests sent one at a time after one untimed warm-up each. */
/** `readPath`: the storage read's path, a file of bench-0's on the same database and bucket. */
async function countRoundTrips(server: Server, pgCounts: () => PgCounts, s3Counts: () => Promise<Record<string, number>>, readPath: string): Promise<Record<string, Trips>> {
  const users = await inParallel(4, 2, (n) => hbpLogin(server.url, n));
  const lncrawl = await lncrawlLogin(server.url);
  let refreshToken = users[1]!.refresh;
  const small = new Uint8Array(64 * 1024).fill(7);
  let upload = 0;
  const routes: Record<string, () => Promise<unknown>> = {
    healthz: () => fetch(`${server.url}/healthz`).then((r) => r.text()),
    login: () => hbpLogin(server.url, 2),
    refresh: async () => {
      const body = await json(await fetch(`${server.url}/auth/token/refresh?refresh_token=${refreshToken}`));
      refreshToken = body.refresh_token;
    },
    read: () => fetch(`${server.url}/api/auth/me`, { headers: { authorization: `Bearer ${lncrawl}` } }).then(json),
    "storage read": () => fetch(`${server.url}${readPath}`, { headers: { authorization: `Bearer ${users[0]!.jwt}` } }).then(json),
    download: () => fetch(`${server.url}/storage/o/public/bench/1mib.bin`).then((r) => r.arrayBuffer()),
    upload: async () => {
      const form = new FormData();
      form.append("file", new Blob([small], { type: "application/octet-stream" }), "small.bin");
      await json(await fetch(`${server.url}/storage/o/public/count/small-${upload++}.bin`, { method: "POST", headers: { authorization: `Bearer ${users[0]!.jwt}` }, body: form }));
    },
  };
  const result: Record<string, Trips> = {};
  for (const [route, request] of Object.entries(routes)) {
    const requests = route === "login" ? 5 : COUNT_REQUESTS;
    await request();
    await Bun.sleep(200); // background work of the warm-up (e.g. a group commit) settles first
    const pgBefore = pgCounts();
    const s3Before = await s3Counts();
    for (let i = 0; i < requests; i++) await request();
    await Bun.sleep(200);
    const pgAfter = pgCounts();
    const s3After = await s3Counts();
    const s3: Record<string, number> = {};
    for (const method of new Set([...Object.keys(s3Before), ...Object.keys(s3After)])) s3[method] = (s3After[method] ?? 0) - (s3Before[method] ?? 0);
    result[route] = {
      requests,
      pg: { roundTrips: pgAfter.roundTrips - pgBefore.roundTrips, executes: pgAfter.executes - pgBefore.executes, parses: pgAfter.parses - pgBefore.parses },
      s3,
    };
  }
  return result;
}

await main();
process.exit(0);
