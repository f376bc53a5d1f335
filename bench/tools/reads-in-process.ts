// The small read requests of issue 29 item 4 without sockets: latchkey built in this process (createLatchkey,
// SQLite), each request sent through `app.handle` by 32 concurrent chains. Prints the CPU a request (this process, all
// threads) of `GET /healthz`, lncrawl's `GET /api/auth/me` and the storage read `GET /storage/m/user/<id>/a.txt`
// (Bearer JWTs, as bench/tools/hot-path.ts sends them), median of ROUNDS rounds, the scenarios in turn (reversed every
// other round). Quieter than a wrk run on a shared machine, and quick to repeat while changing the path:
// `bun bench/tools/reads-in-process.ts` (REQUESTS=20000 a round, ROUNDS=5; `bun --cpu-prof` for a profile of the
// work alone). app.handle takes Elysia's general handler where a server takes Bun's route table for a static path
// (/healthz, /api/auth/me): the same hooks and handlers, not the same dispatch.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { createLatchkey } from "../../src/server.ts";
import { median } from "../lib/report.ts";

const REQUESTS = Number(process.env.REQUESTS ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CHAINS = 32;
const wanted = new Set((process.env.SCENARIOS ?? "healthz,read,storage").split(","));

const dataDir = mkdtempSync(join(tmpdir(), "latchkey-reads-"));
const latchkey = await createLatchkey(loadConfig({ DATA_DIR: dataDir, HOST: "127.0.0.1", LNCRAWL_ENABLED: "true" }), { logger: silentLogger });
try {
  const handle = (path: string, init: RequestInit = {}) => latchkey.app.handle(new Request(`http://localhost${path}`, init));
  const post = async (path: string, body: unknown) =>
    (await handle(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json() as Promise<Record<string, string>>;
  const account = { email: "bench-0@example.com", password: "bench-password-1" };
  const hbpJwt = (await post("/auth/register", { ...account, cookie: false })).jwt_token!;
  const userId = JSON.parse(Buffer.from(hbpJwt.split(".")[1]!, "base64url").toString()).sub as string;
  const form = new FormData();
  form.append("file", new Blob(["a file to read\n"], { type: "text/plain" }), "a.txt");
  const uploaded = await handle(`/storage/o/user/${userId}/a.txt`, { method: "POST", headers: { authorization: `Bearer ${hbpJwt}` }, body: form });
  if (uploaded.status !== 200) throw new Error(`upload answered ${uploaded.status}`);
  const lncrawlJwt = (await post("/api/auth/login", account)).token!;

  const scenarios: Record<string, { path: string; headers: Record<string, string> }> = {
    healthz: { path: "/healthz", headers: {} },
    read: { path: "/api/auth/me", headers: { authorization: `Bearer ${lncrawlJwt}` } },
    storage: { path: `/storage/m/user/${userId}/a.txt`, headers: { authorization: `Bearer ${hbpJwt}` } },
  };
  const runs = Object.entries(scenarios).filter(([name]) => wanted.has(name));

  /** CPU microseconds a request over REQUESTS requests, CHAINS at a time. */
  async function round(path: string, headers: Record<string, string>): Promise<number> {
    let left = REQUESTS;
    const before = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CHAINS }, async () => {
        while (left-- > 0) {
          const response = await handle(path, { headers });
          if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
          await response.arrayBuffer();
        }
      }),
    );
    const used = process.cpuUsage(before);
    return (used.user + used.system) / REQUESTS;
  }

  const results: Record<string, number[]> = Object.fromEntries(runs.map(([name]) => [name, []]));
  for (const [, { path, headers }] of runs) await round(path, headers); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, { path, headers }] of r % 2 === 0 ? runs : [...runs].reverse()) results[name]!.push(await round(path, headers));
  }
  for (const [name, values] of Object.entries(results)) console.log(`${name}: ${median(values).toFixed(1)} us CPU a request (${values.map((v) => v.toFixed(1)).join(", ")})`);
} finally {
  await latchkey.close();
  rmSync(dataDir, { recursive: true, force: true });
}
