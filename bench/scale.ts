// latchkey on the data of a large deployment (issue 29, "data at scale" and "big folders"): `bash bench/run.sh --scale`.
//
// 1. A data directory is seeded (bench/seed-scale.ts: SCALE_ACCOUNTS accounts, default 1,000,000, a tenth with TOTP;
//    as many live sessions; ten rows of rate limits and challenges an account, a tenth of them expired; a folder of
//    a tenth as many files and folders of 100). The binary then starts on it, and its start-up purge deletes the
//    expired rows while the routes run: p99 of each during the purge (one run each, the purge still under way at
//    its end) against its p99 once the purge is over.
// 2. A second instance starts on an empty data directory, and each route runs on both in rounds (A B, B A, A B):
//    login, refresh, the authenticated storage read, a metadata listing of a 100-file folder, and sign-up; the
//    seeded figure against the empty one, round by round (goal: within 1.2x, i.e. >= 83%). Refresh's row has a
//    floor: its rotation statement alone in bun:sqlite on a copy of the seed against an empty database
//    (bench/tools/rotation-at-scale.ts), what the data's size costs the statement without the server.
// 3. The floor of "p99 during the purge": a copy of the seed, made before the seeded instance started, is purged by
//    a second instance while each route runs again on the first (purged by then): what the purge's work costs the
//    route's p99 when it shares the machine's cores and disk but not the server's event loop or its database.
// 4. The big folder on the seeded instance: its listing and its zip, time to the first byte and the server's memory.
// Database size and RSS of both instances are reported; the table goes into bench/README.md ("Scale").
// SCALE_SEED_REUSE=1 (`bash bench/run.sh --scale --reuse-seed`) seeds once into bench/.work/scale-seed-<accounts> and
// copies it for each run (seconds, where seeding takes minutes).
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { WrkResult } from "./lib/parse.ts";
import { BIN, memory, mustRun, resetPeak, ROOT, ROUNDS, SECONDS, WARMUP, WORK, type Server } from "./lib/harness.ts";
import { median, megabytes, ms, pairedPercent, pairedRatio, rate, renderResults, SCALE_MARKERS, spliceResults, times, type Row } from "./lib/report.ts";
import {
  ACCOUNTS, CONNECTIONS, copyDir, databaseBytes, HASH_CONNECTIONS, login, migratedDataDir, prepare, purgeLine, refuseErrors, routes, seededDataDir, type Prepared,
  startLatchkeyOn,
} from "./lib/scale-routes.ts";
import { BIG_FOLDER_OWNER, bigFolder } from "./seed-scale.ts";
import { rotationAtScale } from "./tools/rotation-at-scale.ts";

const REUSE_SEED = process.env.SCALE_SEED_REUSE === "1";
const log = (message: string) => console.log(`[scale ${new Date().toISOString().slice(11, 19)}] ${message}`);

/**
 * Each route once on `target` while `purging`'s start-up purge runs, the routes not bound by the hash first: they
 * show the purge's cost most, and the purge may be over before the last route's turn.
 */
async function routesDuringPurge(purging: Server, target: Server, prepared: Prepared, what: string): Promise<Record<string, WrkResult & { purgeRunning: boolean }>> {
  const results: Record<string, WrkResult & { purgeRunning: boolean }> = {};
  for (const route of [...routes.slice(1, 4), routes[0]!, routes[4]!]) {
    if (purgeLine(purging)) break;
    const result = refuseErrors(route.name, await route.run(target, prepared, SECONDS));
    results[route.name] = { ...result, purgeRunning: !purgeLine(purging) };
    log(`  ${what}: ${route.name}: ${rate(result.rps)} req/s, p99 ${ms(result.p99Ms)}${purgeLine(purging) ? " (the purge ended during the run)" : ""}`);
  }
  return results;
}

/** One streamed GET: time to the first byte and in all, bytes, the server's RSS growth. */
async function streamed(server: Server, path: string, jwt: string): Promise<{ firstByteMs: number; totalMs: number; bytes: number; growth: number; status: string }> {
  const before = memory(server.pid).rss;
  resetPeak(server.pid);
  const { stdout } = await mustRun(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_starttransfer} %{time_total} %{size_download}", "-H", `authorization: Bearer ${jwt}`, `${server.url}${path}`]);
  const [status, first, total, bytes] = stdout.trim().split(" ");
  return { status: status!, firstByteMs: Number(first) * 1000, totalMs: Number(total) * 1000, bytes: Number(bytes), growth: memory(server.pid).hwm - before };
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const rows: Row[] = [];
  const raw: Record<string, unknown> = { accounts: ACCOUNTS };
  const seededDir = join(WORK, "scale-seeded");
  const emptyDir = join(WORK, "scale-empty");

  log(`seeding ${ACCOUNTS.toLocaleString("en")} accounts into ${seededDir}${REUSE_SEED ? " (through the kept seed)" : ""}`);
  const seeding = await seededDataDir(seededDir, ACCOUNTS, { reuse: REUSE_SEED, log: (line) => log(`  ${line}`) });
  raw.seeding = seeding;
  log(`seeded ${seeding.rows.toLocaleString("en")} rows in ${(seeding.ms / 1000).toFixed(0)} s; database ${megabytes(databaseBytes(seededDir))}`);
  const seededSize = databaseBytes(seededDir);
  const besideDir = join(WORK, "scale-beside");
  rmSync(besideDir, { recursive: true, force: true });
  await copyDir(seededDir, besideDir);
  log(`copied the seed into ${besideDir} for the floor of the purge's rows`);

  const servers: Server[] = [];
  try {
    // -- 1. the start-up purge of the seeded instance, with each route under load while it runs
    const seeded = await startLatchkeyOn("seeded", seededDir);
    servers.push(seeded);
    const purgeStarted = performance.now();
    const seededPrepared = await prepare(seeded, true);
    const duringPurge = await routesDuringPurge(seeded, seeded, seededPrepared, "during the purge");
    while (!purgeLine(seeded)) await Bun.sleep(500);
    const purged = purgeLine(seeded)!;
    raw.purge = { rows: Number(purged[1]), ms: Number(purged[2]), wallMs: performance.now() - purgeStarted, duringPurge };
    log(`purge: ${Number(purged[1]).toLocaleString("en")} rows in ${(Number(purged[2]) / 1000).toFixed(1)} s`);

    // -- 2. seeded against empty, round by round
    await migratedDataDir(emptyDir);
    const empty = await startLatchkeyOn("empty", emptyDir);
    servers.push(empty);
    const emptyPrepared = await prepare(empty, false);
    const contenders = [
      { server: seeded, prepared: seededPrepared },
      { server: empty, prepared: emptyPrepared },
    ];
    resetPeak(seeded.pid);
    resetPeak(empty.pid);
    // The floor of refresh's row: its rotation statement alone in bun:sqlite, on a copy of the seed (not yet purged:
    // the sessions, all live, are the same) against an empty database, while both servers are idle.
    log("refresh's rotation statement alone: seeded / empty (bench/tools/rotation-at-scale.ts)");
    const rotation = await rotationAtScale(besideDir);
    raw.rotationAtScale = rotation;
    log(`  seeded ${rotation.seededUs.toFixed(2)} us, empty ${rotation.emptyUs.toFixed(2)} us CPU a rotation: ${pairedPercent(rotation.ratio)} of empty's rate`);
    const refreshFloor = `the rotation statement alone in bun:sqlite (bench/tools/rotation-at-scale.ts): ${pairedPercent(rotation.ratio)} of empty's rate`;
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
        floor: route.name.startsWith("refresh") ? refreshFloor : "-",
        goal: ">= 83% (within 1.2x)",
        met: ratio.median >= 1 / 1.2,
      });
    }
    raw.contests = results;

    // -- 3. the floor of the purge's rows: the same purge in a second instance, beside the seeded one
    const beside = await startLatchkeyOn("beside", besideDir);
    const purgeBeside = await routesDuringPurge(beside, seeded, seededPrepared, "beside a purge");
    process.kill(beside.pid, "SIGKILL"); // its purge is not waited for
    await beside.stop();
    rmSync(besideDir, { recursive: true, force: true });
    raw.purgeBeside = purgeBeside;
    for (const route of routes) {
      const during = duringPurge[route.name];
      const without = median(results[route.name]!.seeded.map((run) => run.p99Ms));
      if (!during) {
        rows.push({ scenario: `p99 during the purge: ${route.name}`, figure: "not measured: the purge ended before this route's turn", reference: `p99 without: ${ms(without)}`, ratio: "-", goal: "<= 2x", met: false });
        continue;
      }
      const floor = purgeBeside[route.name];
      rows.push({
        scenario: `p99 during the purge: ${route.name}`,
        figure: `p99 ${ms(during.p99Ms)} (${rate(during.rps)} req/s)${during.purgeRunning ? "" : "; the purge ended during the run"}`,
        reference: `p99 without a purge (median of ${ROUNDS}): ${ms(without)}`,
        ratio: times(during.p99Ms / without),
        floor: floor ? `purge beside: p99 ${ms(floor.p99Ms)}, ${times(floor.p99Ms / without)}` : "-",
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

    // -- 4. the big folder
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
    `seeding: ${(seeding.ms / 1000).toFixed(0)} s for ${seeding.rows.toLocaleString("en")} rows (bench/seed-scale.ts)${seeding.reused ? ", made once and copied for this run (SCALE_SEED_REUSE=1)" : ""}`,
  ];
  const settings = [
    `${ACCOUNTS.toLocaleString("en")} accounts (a tenth with TOTP), as many live sessions, ${(10 * ACCOUNTS).toLocaleString("en")} rate-limit and challenge rows (a tenth expired: the start-up purge deletes them), ${Math.floor(ACCOUNTS / 10).toLocaleString("en")} files in one folder and ${Math.floor(ACCOUNTS / 1000).toLocaleString("en")} folders of 100`,
    `wrk: 1 thread, ${CONNECTIONS} connections (${HASH_CONNECTIONS} for login and sign-up); ${WARMUP} s warm-up, ${ROUNDS} rounds of ${SECONDS} s, seeded and empty back to back (in reverse order every other round); a ratio is the median of the rounds'`,
    "during the purge: one run of each route from the seeded instance's start (refresh, the read and the listing first, then login and sign-up); the purge's own log line says when it ended",
    "floor of refresh's seeded-against-empty row: its rotation statement alone in bun:sqlite (bench/tools/rotation-at-scale.ts) on a copy of the seed and on an empty database, 64 sessions each, 20 rotations a transaction, alternating rounds, CPU a rotation",
    "floor of the purge's rows: the same routes on the seeded instance (purged by then) while a second instance on a copy of the seed runs its start-up purge: the purge's work on the same cores and disk, outside the server",
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
