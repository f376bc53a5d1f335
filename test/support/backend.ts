// Which database and file store the black-box suite runs on. The default is latchkey's own default, SQLite and
// local disk in the data directory. LATCHKEY_TEST_BACKEND=postgres-s3 gives every server a fresh PostgreSQL
// database and a fresh S3 bucket instead (test/support/postgres.ts, test/support/s3.ts), so the same tests
// check both; `.ci/run` runs the suite once each way.
import { Database as SQLite } from "bun:sqlite";
import { join } from "node:path";
import type { TestPostgres } from "./postgres.ts";
import { filesUnder } from "./storage.ts";

export type TestBackend = "sqlite-disk" | "postgres-s3";

export const TEST_BACKEND: TestBackend = process.env.LATCHKEY_TEST_BACKEND === "postgres-s3" ? "postgres-s3" : "sqlite-disk";

/** Settings that keep a server on the data directory whatever the backend: for tests about its layout. */
export const ON_DATA_DIR: Record<string, string> = { DATABASE_URL: "", STORAGE_URL: "" };

let postgres: Promise<TestPostgres> | undefined;
/** The settings each data directory was given, so a restart on the same directory finds the same data. */
const byDataDir = new Map<string, Record<string, string>>();

/** The backend's settings for a server on `dataDir` (the same ones again for a restart on it). */
export async function backendEnv(dataDir: string): Promise<Record<string, string>> {
  if (TEST_BACKEND === "sqlite-disk") return {};
  let env = byDataDir.get(dataDir);
  if (env === undefined) {
    // Loaded only for this backend: the default run needs neither server. One handle for the whole process: each
    // handle keeps an administrator connection open, and a handle per data directory ran the test server out of
    // connections (max_connections) once the suite passed ~850 tests.
    postgres ??= import("./postgres.ts").then(({ startPostgres }) => startPostgres());
    const store = await import("./s3.ts").then(({ sharedS3 }) => sharedS3());
    env = { DATABASE_URL: await (await postgres).database(), ...store.env(await store.bucket()) };
    byDataDir.set(dataDir, env);
  }
  return env;
}

/**
 * The keys stored under `folder` of a server's file store ("objects", "variants/objects" ...), relative to it and
 * sorted: files under DATA_DIR/storage, or objects in its bucket.
 */
export async function storedKeys(dataDir: string, folder: string): Promise<string[]> {
  const env = storageOf.get(dataDir);
  if (!env?.STORAGE_URL) return filesUnder(join(dataDir, "storage", folder));
  const url = new URL(env.STORAGE_URL);
  const client = new Bun.S3Client({
    endpoint: url.searchParams.get("endpoint")!,
    bucket: url.hostname,
    region: url.searchParams.get("region") ?? "us-east-1",
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    virtualHostedStyle: false,
  });
  const prefix = `${decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "")}/`.replace(/^\/$/, "") + `${folder}/`;
  const found: string[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await client.list({ prefix, continuationToken });
    for (const item of page.contents ?? []) found.push(item.key.slice(prefix.length));
    continuationToken = page.isTruncated ? page.nextContinuationToken : undefined;
  } while (continuationToken);
  return found.sort();
}

/** The PostgreSQL database a server on `dataDir` was started with (null: SQLite in the data directory). */
const databaseOf = new Map<string, string | null>();

/** Called by the server starters with the settings the server got. */
export function rememberDatabase(dataDir: string, env: Record<string, string | undefined>): void {
  databaseOf.set(dataDir, env.DATABASE_URL || null);
  storageOf.set(dataDir, env);
}
const storageOf = new Map<string, Record<string, string | undefined>>();

/** Where a server on `dataDir` keeps its data, as openDatabase() takes it. */
export function databaseLocation(dataDir: string): { url: string | null; sqliteFile: string } {
  return { url: databaseOf.get(dataDir) ?? null, sqliteFile: join(dataDir, "latchkey.db") };
}

/**
 * Runs SQL on a server's database behind its back (to expire a code, ban a user ...), whichever engine holds it.
 * Write it with `?` placeholders; booleans are bound as the engine stores them.
 */
export async function queryDatabase<T = Record<string, unknown>>(
  dataDir: string,
  text: string,
  params: (string | number | boolean | null)[] = [],
): Promise<T[]> {
  const url = databaseOf.get(dataDir);
  if (url) {
    const sql = new Bun.SQL(url);
    try {
      let index = 0;
      return [...(await sql.unsafe(text.replace(/\?/g, () => `$${++index}`), params))] as T[];
    } finally {
      await sql.close();
    }
  }
  const db = new SQLite(join(dataDir, "latchkey.db"));
  try {
    // The server writes to it meanwhile (and copies its WAL back every 100 ms): wait for its lock as the server
    // itself would (src/db/sqlite.ts) instead of failing at once with SQLITE_BUSY, as lncrawl's test now and then did.
    db.run("PRAGMA busy_timeout = 5000");
    return db.query(text).all(...params.map((value) => (typeof value === "boolean" ? Number(value) : value))) as T[];
  } finally {
    db.close();
  }
}
