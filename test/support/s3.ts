// A real S3-protocol server for tests: s3rver (npm, a dev dependency) on a free loopback port, keeping its objects in
// a temporary folder. Each test takes fresh buckets; nothing outside the machine is used.
//
// It runs under Node in a child process, not in the test process: s3rver makes its list continuation tokens with DES,
// which Bun's crypto does not have ("Unknown cipher") and Node 17+ only has with --openssl-legacy-provider, so under
// Bun every listing longer than one page fails with InternalError. The child exits when its stdin closes, so it
// cannot outlive the tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnProcess } from "./process.ts";

/** s3rver's built-in account. */
export const S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;
export const S3_REGION = "us-east-1";

const ROOT = resolve(import.meta.dir, "../..");
const SERVER = `
const S3rver = require("s3rver");
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: process.argv[1] });
server.run().then((address) => console.log("listening " + address.port), (error) => { console.error(error); process.exit(1); });
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

export interface TestS3 {
  endpoint: string;
  /** The s3rver process's id (e.g. to read its memory use). */
  pid: number;
  /** A new, empty bucket; its name. */
  bucket(): Promise<string>;
  /** A Bun S3 client on a bucket, path-style as latchkey makes it. */
  client(bucket: string): Bun.S3Client;
  /** The settings that point latchkey at a bucket (and a prefix inside it). */
  env(bucket: string, prefix?: string): Record<string, string>;
  /** Every key in a bucket (under a prefix), sorted. */
  keys(bucket: string, prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

let buckets = 0;
let shared: Promise<TestS3> | undefined;

/** One s3rver for the whole test process, started on first use; it ends with the process (see above). */
export function sharedS3(): Promise<TestS3> {
  return (shared ??= startS3());
}

export async function startS3(): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), "latchkey-s3rver-"));
  const child = spawnProcess(["node", "--openssl-legacy-provider", "-e", SERVER, directory], {
    cwd: ROOT, // where require("s3rver") is found
    stdin: "pipe",
    name: "s3rver",
  });
  let port: string;
  try {
    [, port = ""] = await child.waitFor(/listening (\d+)/, 20_000);
  } catch (error) {
    await child.stop("SIGKILL");
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = (bucket: string) =>
    new Bun.S3Client({ endpoint, bucket, region: S3_REGION, ...S3_CREDENTIALS, virtualHostedStyle: false });

  return {
    endpoint,
    pid: child.pid,
    async bucket() {
      const name = `test-${++buckets}-${crypto.randomUUID().slice(0, 8)}`;
      // s3rver takes an unsigned CreateBucket (Bun's client has no call for it).
      const response = await fetch(`${endpoint}/${name}`, { method: "PUT" });
      if (!response.ok) throw new Error(`s3rver: could not create bucket ${name}: ${response.status} ${await response.text()}`);
      return name;
    },
    client,
    env(bucket, prefix = "") {
      const url = `s3://${bucket}${prefix ? `/${prefix}` : ""}?endpoint=${encodeURIComponent(endpoint)}&region=${S3_REGION}`;
      return { STORAGE_URL: url, AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey };
    },
    async keys(bucket, prefix = "") {
      const found: string[] = [];
      let continuationToken: string | undefined;
      do {
        const page = await client(bucket).list({ prefix, continuationToken });
        for (const item of page.contents ?? []) found.push(item.key);
        continuationToken = page.isTruncated ? page.nextContinuationToken : undefined;
      } while (continuationToken);
      return found.sort();
    },
    async stop() {
      child.closeStdin();
      await child.finished();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
