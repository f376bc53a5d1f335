// Prints what one request of a route sends to PostgreSQL (message types, and the SQL of each Parse and Query):
// `bun bench/tools/pg-trace.ts [refresh|read|login|download|upload|storage]` (needs dist/latchkey: `bun run build`).
// A fresh PostgreSQL (test/support/postgres.ts) and s3rver; latchkey reaches PostgreSQL through bench/lib/pg-counter.ts.
import { join } from "node:path";
import { startPostgres } from "../../test/support/postgres.ts";
import { WORK, curlUpload, hbpLogin, hbpRegister, startLatchkey } from "../lib/harness.ts";
import { startPgCounter } from "../lib/pg-counter.ts";
import { startCountedS3 } from "../lib/s3-counted.ts";

const route = process.argv[2] ?? "refresh";
let tracing = false;
const postgres = await startPostgres();
const s3 = await startCountedS3();
const url = new URL(await postgres.database());
const counter = startPgCounter({ host: url.hostname, port: Number(url.port) }, (type, sql) => {
  if (tracing) console.log(`  ${type}${sql === undefined ? "" : ` ${sql}`}`);
});
url.port = String(counter.port);
const server = await startLatchkey(join(WORK, "data-trace"), { DATABASE_URL: url.toString(), ...(await s3.bucketEnv()) }, "latchkey traced");
try {
  const { jwt } = await hbpRegister(server.url, 0);
  let { refresh } = await hbpLogin(server.url, 0);
  const lncrawl = (await (await fetch(`${server.url}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"email":"bench-0@example.com","password":"bench-password-1"}' })).json()) as { token: string };
  const file = join(WORK, "trace.bin");
  await Bun.write(file, "x".repeat(1000));
  await curlUpload(server.url, "public/trace/a.bin", file, jwt, "application/octet-stream");
  const requests: Record<string, () => Promise<unknown>> = {
    refresh: async () => {
      const body = (await (await fetch(`${server.url}/auth/token/refresh?refresh_token=${refresh}`)).json()) as { refresh_token: string };
      refresh = body.refresh_token;
    },
    read: () => fetch(`${server.url}/api/auth/me`, { headers: { authorization: `Bearer ${lncrawl.token}` } }).then((r) => r.text()),
    login: () => hbpLogin(server.url, 0),
    download: () => fetch(`${server.url}/storage/o/public/trace/a.bin`).then((r) => r.text()),
    // The authenticated storage read (a file's metadata with a Bearer JWT: the caller gate and the file's row).
    storage: () => fetch(`${server.url}/storage/m/public/trace/a.bin`, { headers: { authorization: `Bearer ${jwt}` } }).then((r) => r.text()),
    upload: () => curlUpload(server.url, `public/trace/b-${Date.now()}.bin`, file, jwt, "application/octet-stream"),
  };
  const request = requests[route];
  if (!request) throw new Error(`no route ${route}: ${Object.keys(requests).join(", ")}`);
  for (let n = 1; n <= 3; n++) {
    console.log(`${route} #${n}:`);
    tracing = true;
    await request();
    await Bun.sleep(200);
    tracing = false;
  }
} finally {
  await server.stop();
  counter.stop();
  await s3.stop();
  await postgres.stop();
}
process.exit(0);
