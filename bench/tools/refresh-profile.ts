// A CPU profile of latchkey (from source, `bun --cpu-prof`) under the refresh load of bench/run.ts: 64 fresh
// sessions spent by wrk -c32 with bench/lua/refresh.lua for BENCH_SECONDS (default 8), then the top functions of the
// main thread's profile from the load's start on (bench/tools/cpuprofile-top.ts with SKIP_MS worked out here).
// `bun bench/tools/refresh-profile.ts [count]`; the profile stays in bench/.work/refresh-profile/.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, CONNECTIONS, LATCHKEY_ENV, ROOT, USERS, WORK, freePort, hbpLogin, hbpRegister, inParallel, startServer, wrkOnce } from "../lib/harness.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const profileDir = join(WORK, "refresh-profile");
const dataDir = join(WORK, "refresh-profile-data");
for (const dir of [profileDir, dataDir]) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
const port = await freePort();
const started = Date.now();
const server = await startServer("latchkey (source)", [BUN, "--cpu-prof", `--cpu-prof-dir=${profileDir}`, join(ROOT, "src/main.ts"), "serve"], {
  cwd: dataDir,
  env: { HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir, ...LATCHKEY_ENV },
  url: `http://127.0.0.1:${port}`,
  readyPath: "/healthz",
});
let loadStartedMs = 0;
try {
  await inParallel(USERS, 4, (n) => hbpRegister(server.url, n));
  const sessions = await inParallel(USERS, 4, (n) => hbpLogin(server.url, n));
  const tokens = join(WORK, "refresh-profile-tokens.txt");
  writeFileSync(tokens, sessions.map((session) => session.refresh).join("\n") + "\n");
  loadStartedMs = Date.now() - started;
  // PROFILE_HEALTHZ=1: /healthz under the same load instead, to compare what every request pays.
  const result = process.env.PROFILE_HEALTHZ
    ? await wrkOnce(`${server.url}/healthz`, { connections: CONNECTIONS }, seconds)
    : await wrkOnce(
        `${server.url}/auth/token/refresh`,
        { connections: CONNECTIONS, script: "refresh.lua", env: { WRK_PATH: "/auth/token/refresh?refresh_token=", WRK_TOKENS: tokens } },
        seconds,
      );
  console.log(`${result.rps.toFixed(0)} req/s, ${result.non2xx} non-2xx over ${seconds} s`);
} finally {
  await server.stop();
  if (process.env.SHOW_OUTPUT) console.log(server.output());
}
const [file] = readdirSync(profileDir).filter((name) => name.endsWith(".cpuprofile"));
if (!file) throw new Error("no profile written");
const top = Bun.spawn([BUN, join(ROOT, "bench/tools/cpuprofile-top.ts"), join(profileDir, file), process.argv[2] ?? "40"], {
  env: { ...process.env, SKIP_MS: String(loadStartedMs + 500) },
  stdout: "inherit",
  stderr: "inherit",
});
await top.exited;
