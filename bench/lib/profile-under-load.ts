// A CPU profile of latchkey from source (`bun --cpu-prof`) under one load, then the top functions of the main
// thread's profile from the load's start on (bench/tools/cpuprofile-top.ts, with SKIP_MS worked out here): what
// bench/tools/refresh-profile.ts and storage-read-profile.ts share. The profile stays in bench/.work/<name>/.
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { WrkResult } from "./parse.ts";
import { BUN, LATCHKEY_ENV, ROOT, WORK, freePort, startServer, type Server } from "./harness.ts";

/**
 * `prepare` sets the server up (not profiled as load) and answers the load to run for `seconds`; `top` functions
 * are printed (default 40). SHOW_OUTPUT=1 prints the server's output too.
 */
export async function profileUnderLoad(
  name: string,
  seconds: number,
  prepare: (server: Server) => Promise<(seconds: number) => Promise<WrkResult>>,
  top = 40,
): Promise<void> {
  const profileDir = join(WORK, name);
  const dataDir = join(WORK, `${name}-data`);
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
    const load = await prepare(server);
    loadStartedMs = Date.now() - started;
    const result = await load(seconds);
    console.log(`${result.rps.toFixed(0)} req/s, ${result.non2xx} non-2xx over ${seconds} s`);
  } finally {
    await server.stop();
    if (process.env.SHOW_OUTPUT) console.log(server.output());
  }
  const [file] = readdirSync(profileDir).filter((entry) => entry.endsWith(".cpuprofile"));
  if (!file) throw new Error("no profile written");
  const listing = Bun.spawn([BUN, join(ROOT, "bench/tools/cpuprofile-top.ts"), join(profileDir, file), String(top)], {
    env: { ...process.env, SKIP_MS: String(loadStartedMs + 500) },
    stdout: "inherit",
    stderr: "inherit",
  });
  await listing.exited;
}
