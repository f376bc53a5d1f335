// A CPU profile of latchkey (from source, `bun --cpu-prof`) under the authenticated storage read of bench/run.ts:
// `GET /storage/m/user/<id>/a.txt` with a Bearer JWT, wrk -c32 for BENCH_SECONDS (default 8), then the top functions
// of the main thread's profile from the load's start on (bench/tools/cpuprofile-top.ts with SKIP_MS worked out here).
// `bun bench/tools/storage-read-profile.ts [count]`; the profile stays in bench/.work/storage-read-profile/.
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BUN, CONNECTIONS, LATCHKEY_ENV, ROOT, WORK, freePort, hbpRegister, json, startServer, wrkOnce } from "../lib/harness.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const profileDir = join(WORK, "storage-read-profile");
const dataDir = join(WORK, "storage-read-profile-data");
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
  const { jwt } = await hbpRegister(server.url, 0);
  const id = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()).sub as string;
  const form = new FormData();
  form.append("file", new Blob(["a file to read\n"], { type: "text/plain" }), "a.txt");
  await json(await fetch(`${server.url}/storage/o/user/${id}/a.txt`, { method: "POST", headers: { authorization: `Bearer ${jwt}` }, body: form }));
  loadStartedMs = Date.now() - started;
  const result = await wrkOnce(`${server.url}/storage/m/user/${id}/a.txt`, { connections: CONNECTIONS, headers: [`authorization: Bearer ${jwt}`] }, seconds);
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
