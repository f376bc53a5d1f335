// A CPU profile of latchkey (from source, `bun --cpu-prof`) under the refresh load of bench/run.ts: 64 fresh
// sessions spent by wrk -c32 with bench/lua/refresh.lua for BENCH_SECONDS (default 8), then the top functions of the
// main thread's profile from the load's start on (bench/lib/profile-under-load.ts).
// `bun bench/tools/refresh-profile.ts [count]`; the profile stays in bench/.work/refresh-profile/.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONNECTIONS, USERS, WORK, hbpLogin, hbpRegister, inParallel, wrkOnce } from "../lib/harness.ts";
import { profileUnderLoad } from "../lib/profile-under-load.ts";

await profileUnderLoad("refresh-profile", Number(process.env.BENCH_SECONDS ?? 8), async (server) => {
  await inParallel(USERS, 4, (n) => hbpRegister(server.url, n));
  const sessions = await inParallel(USERS, 4, (n) => hbpLogin(server.url, n));
  const tokens = join(WORK, "refresh-profile-tokens.txt");
  writeFileSync(tokens, sessions.map((session) => session.refresh).join("\n") + "\n");
  // PROFILE_HEALTHZ=1: /healthz under the same load instead, to compare what every request pays.
  return (seconds) =>
    process.env.PROFILE_HEALTHZ
      ? wrkOnce(`${server.url}/healthz`, { connections: CONNECTIONS }, seconds)
      : wrkOnce(
          `${server.url}/auth/token/refresh`,
          { connections: CONNECTIONS, script: "refresh.lua", env: { WRK_PATH: "/auth/token/refresh?refresh_token=", WRK_TOKENS: tokens } },
          seconds,
        );
}, Number(process.argv[2] ?? 40));
