// Refresh on PostgreSQL (DATABASE_URL, a fresh database per binary on one local PostgreSQL, test/support/postgres.ts),
// binaries in turns as in hot-path.ts: `HOT_BINS=/tmp/a,/tmp/b bun bench/tools/refresh-postgres.ts` (BENCH_SECONDS,
// BENCH_ROUNDS; order reversed every other round). Each run starts from 64 fresh sessions spent by wrk -c32 with
// bench/lua/refresh.lua; prints each binary's req/s and latchkey's own CPU a refresh (from /proc; PostgreSQL's is not
// in it), medians over the rounds, and each round's ratio of the second binary's req/s to the first's.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { startPostgres } from "../../test/support/postgres.ts";
import { CONNECTIONS, LATCHKEY_ENV, ROUNDS, SECONDS, USERS, WORK, freePort, hbpLogin, hbpRegister, inParallel, log, startServer, type Server, wrkOnce } from "../lib/harness.ts";
import { median } from "../lib/report.ts";

const TICKS_PER_SECOND = 100;
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

const bins = (process.env.HOT_BINS ?? join(WORK, "../../dist/latchkey")).split(",").filter(Boolean);
const postgres = await startPostgres();
const servers: Server[] = [];
try {
  const contenders: { name: string; server: Server; tokens: string; rps: number[]; cpuUs: number[] }[] = [];
  for (const [index, bin] of bins.entries()) {
    const dataDir = join(WORK, `refresh-pg-${index}`);
    const { mkdirSync, rmSync } = await import("node:fs");
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const port = await freePort();
    const server = await startServer(basename(bin), [bin, "serve"], {
      cwd: dataDir,
      env: { HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: await postgres.database(), ...LATCHKEY_ENV },
      url: `http://127.0.0.1:${port}`,
      readyPath: "/healthz",
    });
    servers.push(server);
    await inParallel(USERS, 4, (n) => hbpRegister(server.url, n));
    contenders.push({ name: `${basename(bin)}#${index}`, server, tokens: join(WORK, `refresh-pg-${index}.txt`), rps: [], cpuUs: [] });
  }
  const runOnce = async (contender: (typeof contenders)[number], seconds: number) => {
    const sessions = await inParallel(USERS, 4, (n) => hbpLogin(contender.server.url, n));
    writeFileSync(contender.tokens, sessions.map((session) => session.refresh).join("\n") + "\n");
    const before = cpuSeconds(contender.server.pid);
    const result = await wrkOnce(
      `${contender.server.url}/auth/token/refresh`,
      { connections: CONNECTIONS, script: "refresh.lua", env: { WRK_PATH: "/auth/token/refresh?refresh_token=", WRK_TOKENS: contender.tokens } },
      seconds,
    );
    if (result.non2xx > 0 || result.socketErrors > 0) throw new Error(`${contender.name}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors`);
    return { rps: result.rps, cpuUs: ((cpuSeconds(contender.server.pid) - before) / result.requests) * 1e6 };
  };
  for (const contender of contenders) await runOnce(contender, 2); // warm-up
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const { rps, cpuUs } = await runOnce(contender, SECONDS);
      contender.rps.push(rps);
      contender.cpuUs.push(cpuUs);
    }
    if (contenders.length > 1) ratios.push(contenders[1]!.rps[round]! / contenders[0]!.rps[round]!);
    log(`round ${round + 1}: ${contenders.map((c) => `${c.name} ${(c.rps[round]! / 1000).toFixed(2)}k req/s ${c.cpuUs[round]!.toFixed(1)} us`).join(", ")}; load ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  }
  console.log(`\n${ROUNDS} rounds of ${SECONDS} s, wrk -t1 -c${CONNECTIONS}, PostgreSQL; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  console.log("| binary | req/s (median) | latchkey CPU us a refresh (median) |\n|---|---|---|");
  for (const c of contenders) console.log(`| ${c.name} | ${(median(c.rps) / 1000).toFixed(2)}k | ${median(c.cpuUs).toFixed(1)} |`);
  if (ratios.length > 0) console.log(`second / first, req/s: median ${median(ratios).toFixed(2)}x (${ratios.map((r) => r.toFixed(2)).join(", ")})`);
} finally {
  for (const server of servers) await server.stop();
  await postgres.stop();
}
