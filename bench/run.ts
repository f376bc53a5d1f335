// latchkey's benchmarks against references measured in the same run (issue 7). Start it with `bash bench/run.sh`
// (or `npm run bench`), which installs wrk, nginx, zip and bench/peer's packages and builds dist/latchkey first.
//
// Every server runs on 127.0.0.1 only; every load is bounded in time (BENCH_SECONDS per scenario after
// BENCH_WARMUP_SECONDS of warm-up). Figures go to bench/.work/results.json and into bench/README.md's table.
// Peak RSS of a server during a scenario: /proc/<pid>/clear_refs is reset (echo 5) before it, VmHWM read after.
// The shared machinery (processes, wrk, contests in rounds, inputs, the API as a client) is in bench/lib/harness.ts.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import {
  BIN, BUN, CONNECTIONS, DOWNLOAD_CONNECTIONS, GIB, LATCHKEY_ENV, LOGIN_CONNECTIONS, MIB, PASSWORD, PEER, ROOT, ROUNDS,
  SECONDS, USERS, WARMUP, WORK, contest, curlUpload, email, hbpLogin, hbpRegister, inParallel, json, jwtSubject, lncrawlLogin, loadFigure, log,
  freePort, memory, mustRun, randomFile, resetPeak, run, startLatchkey, startServer, versus, warmCache, wrkContender,
  wrkOnce, type Contender, type Load, type Server,
} from "./lib/harness.ts";
import { firstTransforms, inputKinds, transformRows } from "./lib/first-transforms.ts";
import { floodScenario } from "./lib/flood.ts";
import { parseDd, type WrkResult } from "./lib/parse.ts";
import { startNginx } from "./lib/nginx.ts";
import { writePhoto } from "./lib/photo.ts";
import {
  mbPerSecond,
  median,
  megabytes,
  ms,
  pairedPercent,
  pairedRatio,
  pairedTimes,
  rate,
  renderResults,
  spliceResults,
  times,
  type Row,
} from "./lib/report.ts";

const rows: Row[] = [];
const raw: Record<string, unknown> = {};

async function startBare(): Promise<Server> {
  return startRef("bare Bun.serve", "bench/ref/bare.ts");
}

/** A reference server under bench/ref/ on a free port; `env` adds its settings. */
async function startRef(name: string, script: string, env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  return startServer(name, [BUN, join(ROOT, script)], {
    cwd: ROOT,
    env: { PORT: String(port), ...env },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/healthz",
  });
}

/** The login reference as a contender: its figure is verifies per second, in the rps field. */
const hashCeiling: Contender = {
  name: "argon2id verify ceiling",
  pid: null,
  async measure() {
    const result = await mustRun([BUN, join(ROOT, "bench/ref/hash-ceiling.ts")], {
      env: { SECONDS: String(SECONDS), WARMUP_SECONDS: String(Math.min(WARMUP, 2)), CONCURRENCY: String(LOGIN_CONNECTIONS) },
      timeoutMs: (SECONDS + 60) * 1000,
    });
    const figures = JSON.parse(result.stdout.trim().split("\n").pop()!);
    return { requests: figures.verifies, seconds: figures.seconds, rps: figures.verifiesPerSecond, p50Ms: 0, p99Ms: 0, non2xx: 0, socketErrors: 0, bytesPerSecond: 0 };
  },
};

/** First transforms per input kind and round (and sharp's runs beside them). */
const TRANSFORMS_PER_ROUND = 3;

/** sharp's runs on `file` (bench/peer/sharp-transform.ts): as libvips runs by default, and on one thread. */
async function sharpReference(file: string): Promise<{ runsMs: number[]; oneThreadRunsMs: number[]; bytes: number }> {
  const result = await mustRun([BUN, "sharp-transform.ts", file], { cwd: PEER, timeoutMs: 120_000, env: { RUNS: String(TRANSFORMS_PER_ROUND), WARMUP: "1" } });
  return JSON.parse(result.stdout.trim().split("\n").pop()!);
}

/** Start-up of `bin` (latchkey's, or the floor's: bench/ref/bare.ts compiled) on an empty dir, 5 times. */
async function startUp(bin = BIN, args = ["serve"]): Promise<{ ms: number; idleRss: number; runs: number[]; rssRuns: number[] }> {
  const runs: number[] = [];
  const rssRuns: number[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    const dataDir = join(WORK, `startup-${attempt}`);
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/healthz`;
    const started = performance.now();
    const child = Bun.spawn([bin, ...args], {
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
    if (Number.isNaN(elapsed)) throw new Error(`${bin} did not answer /healthz within 20 s`);
    runs.push(elapsed);
    rssRuns.push(idle);
  }
  log(`${bin}: start-up to first 200: ${runs.map((value) => value.toFixed(0)).join(", ")} ms; idle RSS ${rssRuns.map(megabytes).join(", ")}`);
  return { ms: median(runs), idleRss: median(rssRuns), runs, rssRuns };
}

interface BetterAuth {
  server: Server;
  /** Cookie header of a signed-in session of bench-0. */
  cookie: string;
}

async function startBetterAuth(cookieCache: boolean): Promise<BetterAuth> {
  const port = await freePort();
  const db = join(WORK, `better-auth-${cookieCache ? "cache" : "plain"}.db`);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(db + suffix, { force: true });
  const server = await startServer(`better-auth${cookieCache ? " (cookie cache)" : ""}`, [BUN, "better-auth-server.ts"], {
    cwd: PEER,
    env: { PORT: String(port), DB: db, COOKIE_CACHE: String(cookieCache) },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/api/auth/ok",
  });
  await inParallel(cookieCache ? 1 : USERS, 4, async (n) =>
    json(
      await fetch(`${server.url}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: email(n), password: PASSWORD, name: `bench ${n}` }),
      }),
    ),
  );
  const response = await fetch(`${server.url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: email(0), password: PASSWORD }),
  });
  await json(response);
  const cookie = response.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
  const check = await json(await fetch(`${server.url}/api/auth/get-session`, { headers: { cookie } }));
  if (check?.user?.email !== email(0)) throw new Error(`better-auth get-session: ${JSON.stringify(check)}`);
  return { server, cookie };
}

async function main(): Promise<void> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`bun run build\` first (bench/run.sh does)`);
  mkdirSync(WORK, { recursive: true });
  const date = new Date().toISOString().replace("T", " ").slice(0, 16) + " UTC";
  const bigFile = join(WORK, "1gib.bin");
  const mibFile = join(WORK, "1mib.bin");
  const photoFile = join(WORK, "photo.jpg");
  log("preparing inputs (1 GiB and 1 MiB random files, a 3000x2000 picture as RGB JPEG, PNG, WebP, grey and CMYK JPEG)");
  await randomFile(bigFile, GIB);
  await randomFile(mibFile, MIB);
  await writePhoto(photoFile);
  await mustRun([BUN, "image-inputs.ts", photoFile, WORK], { cwd: PEER, timeoutMs: 120_000 });
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

  // Every server of the run is up from here to the end (idle ones cost nothing), so contenders can take turns.
  const servers: Server[] = [];
  const dataDir = join(WORK, "data");
  try {
    const bare = await startBare();
    servers.push(bare);
    const latchkey = await startLatchkey(dataDir);
    servers.push(latchkey);
    log(`latchkey on ${latchkey.url}, data in ${dataDir}; registering ${USERS} users`);
    const registered = await inParallel(USERS, 4, (n) => hbpRegister(latchkey.url, n));
    const jwt = registered[0]!.jwt;
    const lncrawlToken = await lncrawlLogin(latchkey.url);
    // The authenticated storage read (issue 29): the metadata of a file of bench-0's own, with its HBP JWT (the token
    // check, the caller gate, the rules, the file's row). The account's id is the JWT's subject.
    const readerId = jwtSubject(jwt);
    const readerFile = join(WORK, "a.txt");
    writeFileSync(readerFile, "a file to read\n");
    await curlUpload(latchkey.url, `user/${readerId}/a.txt`, readerFile, jwt, "text/plain");
    const nginx = await startNginx(mibFile);
    servers.push(nginx);
    // Floors (issue 29: a missed goal shows its floor, measured in the same run): the route shapes on Elysia with
    // latchkey's three layers and no work; a bare Bun server sending the same file; one taking the same upload.
    const layered = await startRef("Elysia with latchkey's layers", "bench/ref/elysia-healthz.ts", { LAYERS: "id,cors,drain" });
    servers.push(layered);
    const bareFile = await startRef("bare Bun.file", "bench/ref/bare-file.ts", { FILE: mibFile });
    servers.push(bareFile);
    const bareUpload = await startRef("bare upload", "bench/ref/bare-upload.ts", { DIR: WORK });
    servers.push(bareUpload);
    // The floors of refresh and of the two authenticated reads: latchkey's own work for them called from a bare
    // Bun.serve route (bench/ref/core-floor.ts), alone and with the edge's own work around it (EDGE=1: the request id,
    // CORS's headers, the drain's check), each on its own data, with its own accounts and the same file.
    const startCoreFloor = async (name: string, edge: boolean) => {
      const data = join(WORK, `${name}-data`);
      rmSync(data, { recursive: true, force: true });
      mkdirSync(data, { recursive: true });
      const server = await startRef(name, "bench/ref/core-floor.ts", { DATA_DIR: data, EDGE: edge ? "1" : "0" });
      servers.push(server);
      const jwt = (await inParallel(USERS, 4, (n) => hbpRegister(server.url, n)))[0]!.jwt;
      const reader = jwtSubject(jwt);
      await curlUpload(server.url, `user/${reader}/a.txt`, readerFile, jwt, "text/plain");
      return { server, jwt, reader, lncrawl: await lncrawlLogin(server.url) };
    };
    const coreFloor = await startCoreFloor("core-floor", false);
    const edgeFloor = await startCoreFloor("core-floor-edge", true);
    /** A floor server's three contenders, named `<prefix> refresh`, `<prefix> read`, `<prefix> storage read`. */
    const floorContenders = (prefix: string, floor: typeof coreFloor): Contender[] => [
      refreshContender(`${prefix} refresh`, floor.server),
      wrkContender(`${prefix} read`, floor.server, "/api/auth/me", { connections: CONNECTIONS, headers: [`authorization: Bearer ${floor.lncrawl}`] }),
      wrkContender(`${prefix} storage read`, floor.server, `/storage/m/user/${floor.reader}/a.txt`, { connections: CONNECTIONS, headers: [`authorization: Bearer ${floor.jwt}`] }),
    ];
    const peer = await startBetterAuth(false);
    servers.push(peer.server);
    const peerCached = await startBetterAuth(true);
    servers.push(peerCached.server);

    // -- small requests: /healthz, refresh, the authenticated reads (lncrawl's and storage's), and better-auth's
    // get-session, in turns.
    // Refresh: each answer's rotated token feeds the next request (bench/lua/refresh.lua); every run (and the
    // warm-up) starts from a batch of 64 fresh sessions (logins, made before the run and not timed).
    const refreshRun = async (server: Server, seconds: number) => {
      const sessions = await inParallel(USERS, 4, (n) => hbpLogin(server.url, n));
      const tokens = join(WORK, "refresh-tokens.txt");
      writeFileSync(tokens, sessions.map((session) => session.refresh).join("\n") + "\n");
      return wrkOnce(`${server.url}/auth/token/refresh`, { connections: CONNECTIONS, script: "refresh.lua", env: { WRK_PATH: "/auth/token/refresh?refresh_token=", WRK_TOKENS: tokens } }, seconds);
    };
    const refreshContender = (name: string, server: Server): Contender => ({
      name,
      pid: server.pid,
      warmup: () => refreshRun(server, WARMUP),
      measure: () => refreshRun(server, SECONDS),
    });
    const small = await contest("small requests", [
      wrkContender("bare", bare, "/healthz", { connections: CONNECTIONS }),
      wrkContender("healthz", latchkey, "/healthz", { connections: CONNECTIONS }),
      refreshContender("refresh", latchkey),
      wrkContender("read", latchkey, "/api/auth/me", { connections: CONNECTIONS, headers: [`authorization: Bearer ${lncrawlToken}`] }),
      wrkContender("storage read", latchkey, `/storage/m/user/${readerId}/a.txt`, { connections: CONNECTIONS, headers: [`authorization: Bearer ${jwt}`] }),
      wrkContender("layers healthz", layered, "/healthz", { connections: CONNECTIONS }),
      ...floorContenders("core", coreFloor),
      ...floorContenders("edge", edgeFloor),
      wrkContender("layers json", layered, `/storage/m/user/${readerId}/a.txt`, { connections: CONNECTIONS, headers: [`authorization: Bearer ${jwt}`] }),
      wrkContender("peer get-session", peer.server, "/api/auth/get-session", { connections: CONNECTIONS, headers: [`cookie: ${peer.cookie}`] }),
      wrkContender("peer get-session (cookie cache)", peerCached.server, "/api/auth/get-session", { connections: CONNECTIONS, headers: [`cookie: ${peerCached.cookie}`] }),
    ]);
    raw.small = small;
    const bareLoad = small.bare!;
    const bareRps = bareLoad.wrk.rps;
    const { healthz, refresh, read } = small as Record<"healthz" | "refresh" | "read", Load>;
    const storageRead = small["storage read"]!;
    const peerSession = small["peer get-session"]!;
    const peerSessionCached = small["peer get-session (cookie cache)"]!;
    // The floors of the small requests: /healthz on Elysia with latchkey's layers; the JSON routes' shape (a
    // wildcard GET answering a fixed file metadata as JSON) through the same layers, with none of their work.
    const floorOf = (label: string, load: Load) => `${label}: ${pairedPercent(versus(load, bareLoad))} of bare`;
    const healthzFloor = floorOf("Elysia with latchkey's three layers (bench/ref/elysia-healthz.ts)", small["layers healthz"]!);
    const jsonFloor = floorOf("a fixed JSON answer through Elysia and the three layers, no work", small["layers json"]!);
    const coreFloorOf = (route: string) =>
      `${floorOf("latchkey's own work for the route on a bare Bun.serve, no layers (bench/ref/core-floor.ts)", small[`core ${route}`]!)}; ` +
      `${floorOf("the same with the edge's own work (request id, CORS, drain; EDGE=1)", small[`edge ${route}`]!)}; ${jsonFloor}`;
    /** A row of a small request against the bare route, in the same rounds; `share`: the goal, a fraction of bare. */
    const againstBare = (scenario: string, load: Load, share: number, floor: string, reference = `bare route: ${rate(bareRps)} req/s`): Row => {
      const ratio = versus(load, bareLoad);
      return { scenario, figure: loadFigure(load), reference, ratio: pairedPercent(ratio), floor, goal: `>= ${Math.round(share * 100)}%`, met: ratio.median >= share };
    };
    rows.push(againstBare("`GET /healthz`", healthz, 0.95, healthzFloor, `bare Bun.serve route: ${rate(bareRps)} req/s (p99 ${ms(bareLoad.wrk.p99Ms)})`));

    // -- logins (right password, 64 accounts in turn) with a paced /healthz client beside them; the hash ceiling
    // and better-auth's sign-in take turns with them.
    const loginEnv = {
      WRK_PATH: "/auth/login",
      WRK_BODY: `{"email":"bench-{n}@example.com","password":"${PASSWORD}","cookie":false}`,
      WRK_USERS: String(USERS),
    };
    const loginRun = (seconds: number) =>
      wrkOnce(`${latchkey.url}/auth/login`, { connections: LOGIN_CONNECTIONS, script: "post-users.lua", env: loginEnv }, seconds);
    const logins = await contest("logins", [
      hashCeiling,
      { name: "login", pid: latchkey.pid, warmup: () => loginRun(WARMUP), measure: () => loginRun(SECONDS) },
      wrkContender("peer sign-in", peer.server, "/api/auth/sign-in/email", {
        connections: LOGIN_CONNECTIONS,
        script: "post-users.lua",
        env: { WRK_PATH: "/api/auth/sign-in/email", WRK_BODY: `{"email":"bench-{n}@example.com","password":"${PASSWORD}"}`, WRK_USERS: String(USERS) },
      }),
    ]);
    // /healthz latency while logins saturate the CPU: runs of their own (a second client would slow the logins
    // that the throughput figures above compare).
    const besides: WrkResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [, beside] = await Promise.all([
        loginRun(SECONDS),
        (async () => {
          await Bun.sleep(1000); // let the logins fill the CPU first
          return wrkOnce(`${latchkey.url}/healthz`, { connections: 2, script: "paced.lua", env: { WRK_PACE_MS: "10" } }, Math.max(1, SECONDS - 2));
        })(),
      ]);
      besides.push(beside);
      log(`  /healthz beside the logins: p50 ${ms(beside.p50Ms)}, p99 ${ms(beside.p99Ms)}`);
    }
    raw.logins = logins;
    raw.healthzBesideLogins = besides;
    const ceiling = logins["argon2id verify ceiling"]!;
    const login = logins.login!;
    const peerSignIn = logins["peer sign-in"]!;
    const loginRatio = versus(login, ceiling);
    // The worst of the runs: the goal is a ceiling on latency.
    const beside = besides.reduce((worst, result) => (result.p99Ms > worst.p99Ms ? result : worst));
    rows.push({
      scenario: "login (`POST /auth/login`, argon2id m=19456 t=2)",
      figure: loadFigure(login, "logins/s"),
      reference: `\`Bun.password.verify\` loop, ${LOGIN_CONNECTIONS} in flight: ${rate(ceiling.wrk.rps)} verifies/s`,
      ratio: pairedPercent(loginRatio),
      goal: ">= 90% of the hash ceiling",
      met: loginRatio.median >= 0.9,
    });
    rows.push({
      scenario: "`GET /healthz` while logins saturate the CPU",
      figure: `p99 ${ms(beside.p99Ms)} (p50 ${ms(beside.p50Ms)}, ${rate(beside.rps)} req/s paced; the worst of ${besides.length} runs)`,
      reference: "-",
      ratio: ms(beside.p99Ms),
      goal: "p99 <= 10 ms",
      met: beside.p99Ms <= 10,
    });
    // -- fair under a flood of wrong passwords (issue 29, item 5): bench/lib/flood.ts, its own server and the floor.
    const flood = await floodScenario(join(WORK, "flood-data"));
    raw.flood = flood.raw;
    rows.push(...flood.rows);
    rows.push(
      againstBare("refresh (`GET /auth/token/refresh`, rotation: one UPDATE of the session's row)", refresh, 0.3, coreFloorOf("refresh")),
      againstBare("authenticated read (lncrawl `GET /api/auth/me`: Bearer JWT check + the user's row)", read, 0.45, coreFloorOf("read")),
      againstBare("authenticated storage read (`GET /storage/m/user/<id>/a.txt`: Bearer JWT check, the rules, the file's row)", storageRead, 0.45, coreFloorOf("storage read")),
    );

    // -- download of a public 1 MiB file vs nginx serving a copy of it.
    await curlUpload(latchkey.url, "public/bench/1mib.bin", mibFile, jwt, "application/octet-stream");
    const downloads = await contest("download 1 MiB", [
      wrkContender("latchkey", latchkey, "/storage/o/public/bench/1mib.bin", { connections: DOWNLOAD_CONNECTIONS }),
      { ...wrkContender("nginx", nginx, "/file.bin", { connections: DOWNLOAD_CONNECTIONS }), pid: nginx.workerPid },
      wrkContender("bare Bun.file", bareFile, "/file.bin", { connections: DOWNLOAD_CONNECTIONS }),
    ]);
    raw.download = downloads;
    const download = downloads.latchkey!;
    const nginxLoad = downloads.nginx!;
    const downloadRatio = versus(download, nginxLoad);
    rows.push({
      scenario: "download a 1 MiB file (`GET /storage/o/public/...`)",
      figure: loadFigure(download, "req/s") + `, ${mbPerSecond(download.wrk.bytesPerSecond)}`,
      reference: `nginx (1 worker, sendfile): ${rate(nginxLoad.wrk.rps)} req/s (p99 ${ms(nginxLoad.wrk.p99Ms)})`,
      ratio: pairedPercent(downloadRatio),
      floor: `bench/ref/bare-file.ts (a bare Bun.serve sending \`Bun.file\`): ${pairedPercent(versus(downloads["bare Bun.file"]!, nginxLoad))} of nginx`,
      goal: ">= 100% of nginx",
      met: downloadRatio.median >= 1,
    });

    // -- upload 1 GiB (multipart, streamed by curl) vs dd of the same file to the same disk, both synced; each round
    // runs the two back to back (dd first every other round).
    log("upload 1 GiB");
    await warmCache(bigFile);
    const uploads: { seconds: number; growth: number; before: number; peak: number; dd: number; floor: number }[] = [];
    /** One synced 1 GiB upload to `server` (latchkey, or the bare floor), with its RSS before and peak. */
    const uploadTo = async (server: Server, key: string) => {
      const before = memory(server.pid).rss;
      resetPeak(server.pid);
      const seconds = await curlUpload(server.url, key, bigFile, jwt, "application/octet-stream");
      const peak = memory(server.pid).hwm;
      return { seconds, before, peak, growth: peak - before };
    };
    for (let round = 0; round < ROUNDS; round++) {
      const upload = async () => {
        const result = await uploadTo(latchkey, `public/bench/1gib-${round}.bin`);
        await fetch(`${latchkey.url}/storage/o/public/bench/1gib-${round}.bin`, { method: "DELETE", headers: { authorization: `Bearer ${jwt}` } });
        return result;
      };
      const ddOnce = async () => {
        const ddOut = join(WORK, "dd.out");
        const dd = parseDd((await mustRun(["dd", `if=${bigFile}`, `of=${ddOut}`, "bs=1M", "conv=fsync"])).stderr);
        rmSync(ddOut, { force: true });
        return dd.bytes / dd.seconds;
      };
      const floorOnce = async () => GIB / (await uploadTo(bareUpload, "floor.bin")).seconds;
      // latchkey, dd, the floor; in reverse every other round.
      let result: Awaited<ReturnType<typeof upload>>;
      let dd: number;
      let floor: number;
      if (round % 2 === 0) {
        result = await upload();
        dd = await ddOnce();
        floor = await floorOnce();
      } else {
        floor = await floorOnce();
        dd = await ddOnce();
        result = await upload();
      }
      uploads.push({ ...result, dd, floor });
      log(`  upload ${result.seconds.toFixed(2)} s (${mbPerSecond(GIB / result.seconds)}), RSS +${megabytes(result.growth)}; dd ${mbPerSecond(dd)}; bare Bun upload ${mbPerSecond(floor)}`);
    }
    raw.upload = uploads;
    const uploadRatio = pairedRatio(uploads.map((upload) => GIB / upload.seconds), uploads.map((upload) => upload.dd));
    const uploadSpeed = median(uploads.map((upload) => GIB / upload.seconds));
    const ddSpeed = median(uploads.map((upload) => upload.dd));
    const uploadWorst = uploads.reduce((worst, upload) => (upload.growth > worst.growth ? upload : worst));
    rows.push({
      scenario: "upload 1 GiB (`POST /storage/o/...`, multipart, synced)",
      figure: `${mbPerSecond(uploadSpeed)} (${(GIB / uploadSpeed).toFixed(2)} s; median of ${uploads.length})`,
      reference: `\`dd bs=1M conv=fsync\` of the same file to the same disk: ${mbPerSecond(ddSpeed)} (median)`,
      ratio: pairedPercent(uploadRatio),
      floor: `bench/ref/bare-upload.ts (a bare Bun.serve writing the body as it comes, 1 MiB writes, fsync; no multipart): ${pairedPercent(pairedRatio(uploads.map((upload) => upload.floor), uploads.map((upload) => upload.dd)))} of dd`,
      goal: ">= 90% of dd",
      met: uploadRatio.median >= 0.9,
    });
    rows.push({
      scenario: "upload 1 GiB: server memory",
      figure: `RSS ${megabytes(uploadWorst.before)} before, peak ${megabytes(uploadWorst.peak)} (the worst of ${uploads.length})`,
      reference: "-",
      ratio: `+${megabytes(uploadWorst.growth)}`,
      goal: "growth <= 64 MB",
      met: uploadWorst.growth <= 64e6,
    });

    // -- zip of a 1 GiB folder (16 x 64 MiB, stored: binary data is not deflated) vs `zip -0 -r` of the same files.
    log("zip of a 1 GiB folder");
    for (let index = 0; index < zipParts; index++) {
      await curlUpload(latchkey.url, `public/zipdir/part-${index}.bin`, join(partsDir, `part-${index}.bin`), jwt, "application/octet-stream");
    }
    const objects = join(dataDir, "storage/objects");
    await warmCache(join(objects, "public/zipdir/*"));
    const zips: { seconds: number; bytes: number; before: number; peak: number; growth: number; referenceSeconds: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const before = memory(latchkey.pid).rss;
      resetPeak(latchkey.pid);
      const result = await mustRun(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{size_download}", "--max-time", "600", `${latchkey.url}/storage/o/public/zipdir/`]);
      const peak = memory(latchkey.pid).hwm;
      const [code, secondsText, bytesText] = result.stdout.trim().split(" ");
      if (code !== "200") throw new Error(`zip download answered ${code}`);
      const reference = await mustRun(["zip", "-0", "-r", "-q", "-", "public/zipdir"], { cwd: objects, stdoutFile: "/dev/null" });
      zips.push({ seconds: Number(secondsText), bytes: Number(bytesText), before, peak, growth: peak - before, referenceSeconds: reference.ms / 1000 });
      log(`  zip ${Number(secondsText).toFixed(2)} s, RSS +${megabytes(peak - before)}; zip -0 -r ${(reference.ms / 1000).toFixed(2)} s`);
    }
    raw.zip = zips;
    const zipBytes = zips[0]!.bytes;
    const zipRatio = pairedRatio(zips.map((zip) => zipBytes / zip.seconds), zips.map((zip) => zipBytes / zip.referenceSeconds));
    const zipSpeed = median(zips.map((zip) => zipBytes / zip.seconds));
    const referenceSpeed = median(zips.map((zip) => zipBytes / zip.referenceSeconds));
    const zipWorst = zips.reduce((worst, zip) => (zip.growth > worst.growth ? zip : worst));
    rows.push({
      scenario: "zip of a 1 GiB folder (`GET /storage/o/public/zipdir/`, 16 files)",
      figure: `${mbPerSecond(zipSpeed)} (${(zipBytes / zipSpeed).toFixed(2)} s; median of ${zips.length})`,
      reference: `\`zip -0 -r -q - folder > /dev/null\` of the same files: ${mbPerSecond(referenceSpeed)} (median)`,
      ratio: pairedPercent(zipRatio),
      goal: ">= 80% of zip",
      met: zipRatio.median >= 0.8,
    });
    rows.push({
      scenario: "zip of a 1 GiB folder: server memory",
      figure: `RSS ${megabytes(zipWorst.before)} before, peak ${megabytes(zipWorst.peak)} (the worst of ${zips.length})`,
      reference: "-",
      ratio: `+${megabytes(zipWorst.growth)}`,
      goal: "growth <= 64 MB",
      met: zipWorst.growth <= 64e6,
    });
    for (let index = 0; index < zipParts; index++) {
      await fetch(`${latchkey.url}/storage/o/public/zipdir/part-${index}.bin`, { method: "DELETE", headers: { authorization: `Bearer ${jwt}` } });
    }

    // -- image transforms (bench/lib/first-transforms.ts): the server is warm (both workers have made a variant of
    // each kind), then in each round every kind's fresh copies are transformed for the first time, one after
    // another, beside sharp making the same variant from the same file.
    log("image transform, first (five input kinds) and cached");
    const transforms = await firstTransforms(
      { url: latchkey.url, log, upload: (key, file, type) => curlUpload(latchkey.url, key, file, jwt, type), sharp: sharpReference },
      inputKinds(photoFile, WORK),
      ROUNDS,
      TRANSFORMS_PER_ROUND,
    );
    raw.transformFirst = transforms;
    rows.push(...transformRows(transforms, TRANSFORMS_PER_ROUND));
    const variantBytes = new Uint8Array(await (await fetch(latchkey.url + "/storage/o/public/first-0/picture.jpg?w=800&f=webp")).arrayBuffer());
    const transform = (index: number) => `/storage/o/public/first-${index}/picture.jpg?w=800&f=webp`;

    const sameSizeFile = join(WORK, "same-size.webp");
    writeFileSync(sameSizeFile, variantBytes);
    await curlUpload(latchkey.url, "public/bench/same-size.webp", sameSizeFile, jwt, "image/webp");
    const images = await contest("cached transform", [
      wrkContender("cached", latchkey, transform(0), { connections: CONNECTIONS }),
      wrkContender("same size", latchkey, "/storage/o/public/bench/same-size.webp", { connections: CONNECTIONS }),
    ]);
    raw.transformCached = images;
    const cached = images.cached!;
    const sameSize = images["same size"]!;
    const cachedRatio = versus(cached, sameSize);
    rows.push({
      scenario: "repeat of that transform (cached variant)",
      figure: loadFigure(cached),
      reference: `download of a file of the same size (${(variantBytes.length / 1024).toFixed(0)} KiB): ${rate(sameSize.wrk.rps)} req/s`,
      ratio: pairedPercent(cachedRatio),
      goal: ">= 80%",
      met: cachedRatio.median >= 0.8,
    });

    const cacheNote = `; with its cookie cache ${rate(peerSessionCached.wrk.rps)} req/s`;
    const signInRatio = versus(login, peerSignIn);
    const peerRefreshRatio = versus(refresh, peerSession);
    const peerReadRatio = versus(read, peerSession);
    rows.push({
      scenario: "peer: sign-in",
      figure: `latchkey login ${rate(login.wrk.rps)}/s`,
      reference: `better-auth \`POST /api/auth/sign-in/email\`: ${rate(peerSignIn.wrk.rps)}/s (p99 ${ms(peerSignIn.wrk.p99Ms)})`,
      ratio: pairedPercent(signInRatio),
      goal: ">= better-auth's",
      met: signInRatio.median >= 1,
    });
    rows.push({
      scenario: "peer: refresh vs its session check",
      figure: `latchkey refresh ${rate(refresh.wrk.rps)} req/s`,
      reference: `better-auth \`GET /api/auth/get-session\`: ${rate(peerSession.wrk.rps)} req/s (p99 ${ms(peerSession.wrk.p99Ms)})${cacheNote}`,
      ratio: pairedTimes(peerRefreshRatio),
      goal: ">= 5x",
      met: peerRefreshRatio.median >= 5,
    });
    rows.push({
      scenario: "peer: authenticated read vs its session check",
      figure: `latchkey \`GET /api/auth/me\` ${rate(read.wrk.rps)} req/s`,
      reference: `better-auth \`GET /api/auth/get-session\`: ${rate(peerSession.wrk.rps)} req/s${cacheNote}`,
      ratio: pairedTimes(peerReadRatio),
      goal: ">= 10x",
      met: peerReadRatio.median >= 10,
    });
  } finally {
    for (const server of servers.reverse()) await server.stop().catch(() => {});
  }

  log("start-up of the binary on an empty data dir");
  const startup = await startUp();
  raw.startup = startup;
  // The floor: bench/ref/bare.ts compiled into a binary by the same Bun (its runtime, no modules of latchkey's).
  const bareBin = join(WORK, "bare-compiled");
  await mustRun([BUN, "build", "--compile", join(ROOT, "bench/ref/bare.ts"), "--outfile", bareBin], { cwd: ROOT, timeoutMs: 120_000 });
  const bareStartup = await startUp(bareBin, []);
  raw.bareStartup = bareStartup;
  const bareFloor = (figure: string) => `bench/ref/bare.ts compiled by the same Bun: ${figure}`;
  // Start-up goals, placed before the peer rows.
  const peerRows = rows.splice(rows.findIndex((row) => row.scenario.startsWith("peer:")));
  rows.push({
    scenario: "start-up of the binary on an empty data dir to the first 200",
    figure: `${ms(startup.ms)} (median of 5: ${startup.runs.map((value) => value.toFixed(0)).join(", ")})`,
    reference: "-",
    ratio: ms(startup.ms),
    floor: bareFloor(ms(bareStartup.ms)),
    goal: "<= 150 ms",
    met: startup.ms <= 150,
  });
  rows.push({
    scenario: "idle RSS after start-up",
    figure: megabytes(startup.idleRss),
    reference: "-",
    ratio: megabytes(startup.idleRss),
    floor: bareFloor(megabytes(bareStartup.idleRss)),
    goal: "<= 80 MB",
    met: startup.idleRss <= 80e6,
  });
  rows.push(...peerRows);

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
    `wrk: 1 thread, ${CONNECTIONS} connections for small requests, ${LOGIN_CONNECTIONS} for logins, ${DOWNLOAD_CONNECTIONS} for 1 MiB downloads; ${WARMUP} s warm-up, then ${ROUNDS} rounds in which latchkey and its references run back to back (in reverse order every other round), ${SECONDS} s each; a ratio is the median of the rounds' ratios (each round's in brackets), a figure the median run`,
    "refresh: each answer's rotated token is the next request's (bench/lua/refresh.lua), each run starting from 64 fresh sessions; every token is used once",
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
