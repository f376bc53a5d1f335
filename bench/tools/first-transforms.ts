// The first-transform scenarios of bench/run.ts alone (issue 29 item 3): `bun bench/tools/first-transforms.ts`
// after `bun run build` and `npm ci --prefix bench/peer`. Starts dist/latchkey on a fresh data dir, makes the five
// input kinds (bench/lib/photo.ts, bench/peer/image-inputs.ts) and prints each kind's rounds and its table row.
// BENCH_ROUNDS (default 3) rounds of TRANSFORMS_PER_ROUND (default 3) first transforms per kind.
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { firstTransforms, inputKinds, transformRows } from "../lib/first-transforms.ts";
import { writePhoto } from "../lib/photo.ts";

const ROOT = resolve(import.meta.dir, "../..");
const WORK = join(ROOT, "bench/.work");
const PEER = join(ROOT, "bench/peer");
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const perRound = Number(process.env.TRANSFORMS_PER_ROUND ?? 3);
const log = (message: string) => console.log(`[transforms ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function output(cmd: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  const child = Bun.spawn(cmd, { cwd, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")}: exit ${code}\n${stderr}`);
  return stdout;
}

mkdirSync(WORK, { recursive: true });
const photo = join(WORK, "photo.jpg");
await writePhoto(photo);
await output([process.execPath, "image-inputs.ts", photo, WORK], PEER);

const dataDir = join(WORK, "transforms-data");
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const port = 20_000 + Math.floor(Math.random() * 20_000);
const url = `http://127.0.0.1:${port}`;
const server = Bun.spawn([join(ROOT, "dist/latchkey"), "serve"], {
  cwd: dataDir,
  env: { PATH: process.env.PATH ?? "", HOME: dataDir, HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir },
  stdout: "ignore",
  stderr: "inherit",
});
try {
  for (let tries = 0; ; tries++) {
    if ((await fetch(`${url}/healthz`).catch(() => null))?.ok) break;
    if (tries > 1500) throw new Error("latchkey did not start");
    await Bun.sleep(20);
  }
  const registered = await fetch(`${url}/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "transforms@example.com", password: "bench-password-1", cookie: false }),
  }).then((response) => response.json() as Promise<{ jwt_token: string }>);
  const results = await firstTransforms(
    {
      url,
      log,
      async upload(key, file, contentType) {
        const form = new FormData();
        form.append("file", new Blob([await Bun.file(file).arrayBuffer()], { type: contentType }), key.split("/").pop());
        const response = await fetch(`${url}/storage/o/${key}`, { method: "POST", headers: { authorization: `Bearer ${registered.jwt_token}` }, body: form });
        if (response.status !== 200) throw new Error(`upload ${key}: ${response.status} ${await response.text()}`);
      },
      async sharp(file) {
        return JSON.parse((await output([process.execPath, "sharp-transform.ts", file], PEER, { RUNS: String(perRound), WARMUP: "1" })).trim().split("\n").pop()!);
      },
    },
    inputKinds(photo, WORK),
    rounds,
    perRound,
  );
  for (const row of transformRows(results, perRound)) {
    console.log(`| ${row.scenario} | ${row.figure} | ${row.reference} | ${row.ratio} | ${row.floor} | ${row.goal} | ${row.met ? "met" : "**missed**"} |`);
  }
} finally {
  server.kill("SIGTERM");
  await server.exited;
}
