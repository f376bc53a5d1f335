// s3rver for bench/backends.ts, started as test/support/s3.ts starts it (under Node, for its DES continuation
// tokens; ends when its stdin closes) plus a first middleware that counts the requests latchkey makes, by method:
// `GET /__bench/counts` answers them (and is not counted). One request to S3 is one round trip.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnProcess } from "../../test/support/process.ts";
import { S3_CREDENTIALS, S3_REGION } from "../../test/support/s3.ts";

const ROOT = resolve(import.meta.dir, "../..");
const SERVER = `
const S3rver = require("s3rver");
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: process.argv[1] });
const counts = {};
server.middleware.unshift(async (ctx, next) => {
  if (ctx.path === "/__bench/counts") { ctx.body = counts; return; }
  counts[ctx.method] = (counts[ctx.method] || 0) + 1;
  await next();
});
server.run().then((address) => console.log("listening " + address.port), (error) => { console.error(error); process.exit(1); });
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

export interface CountedS3 {
  endpoint: string;
  pid: number;
  /** A new bucket and latchkey's settings for it. */
  bucketEnv(): Promise<Record<string, string>>;
  /** Requests so far, by HTTP method. */
  counts(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startCountedS3(): Promise<CountedS3> {
  const directory = mkdtempSync(join(tmpdir(), "latchkey-bench-s3rver-"));
  const child = spawnProcess(["node", "--openssl-legacy-provider", "-e", SERVER, directory], { cwd: ROOT, stdin: "pipe", name: "s3rver" });
  const [, port = ""] = await child.waitFor(/listening (\d+)/, 20_000);
  const endpoint = `http://127.0.0.1:${port}`;
  let buckets = 0;
  return {
    endpoint,
    pid: child.pid,
    async bucketEnv() {
      const name = `bench-${++buckets}-${crypto.randomUUID().slice(0, 8)}`;
      const response = await fetch(`${endpoint}/${name}`, { method: "PUT" });
      if (!response.ok) throw new Error(`s3rver: bucket ${name}: ${response.status}`);
      return {
        STORAGE_URL: `s3://${name}?endpoint=${encodeURIComponent(endpoint)}&region=${S3_REGION}`,
        AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      };
    },
    counts: async () => (await fetch(`${endpoint}/__bench/counts`)).json() as Promise<Record<string, number>>,
    async stop() {
      child.closeStdin();
      await child.finished();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
