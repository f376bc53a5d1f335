// GET /readyz (issue 23): 200 only when the database answers and the file store can be listed, 503 naming what
// failed otherwise; /healthz stays HBP's constant OK. On both backends: SQLite + disk and PostgreSQL + S3.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { backendEnv, queryDatabase, TEST_BACKEND } from "./support/backend.ts";
import { call } from "./support/http.ts";
import { FakeClock, removeDataDir, startInProcess } from "./support/in-process.ts";
import { startServer, waitForOutput, type TestServer } from "./support/server.ts";

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const READY = { status: "ok", checks: { database: "ok", storage: "ok" } };

/** A server whose data directory (and so its bucket, on PostgreSQL + S3) the test knows. */
async function serverWithKnownStore(): Promise<{ server: TestServer; env: Record<string, string> }> {
  const dataDir = mkdtempSync(join(tmpdir(), "latchkey-readyz-"));
  folders.push(dataDir);
  const env = await backendEnv(dataDir); // the same settings startServer gives a server on this directory
  return { server: await startServer({}, { dataDir }), env };
}

/** Takes the file store away from under the server: its objects folder becomes a file, or its (empty) bucket goes. */
async function breakFileStore(dataDir: string, env: Record<string, string>): Promise<void> {
  if (TEST_BACKEND === "sqlite-disk") {
    const objects = join(dataDir, "storage", "objects");
    rmSync(objects, { recursive: true, force: true });
    writeFileSync(objects, "not a folder");
    return;
  }
  const url = new URL(env.STORAGE_URL!);
  // s3rver takes unsigned requests; a bucket with no objects can be deleted.
  const response = await fetch(`${url.searchParams.get("endpoint")}/${url.hostname}`, { method: "DELETE" });
  expect(response.status).toBe(204);
}

test("ready: 200 with every check ok; /healthz is HBP's constant OK", async () => {
  const { server } = await serverWithKnownStore();
  try {
    const ready = await call(server.url, "GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual(READY);
    expect(ready.headers.get("cache-control")).toBe("no-store");
    const healthz = await call(server.url, "GET", "/healthz");
    expect(healthz.status).toBe(200);
    expect(healthz.body).toBe("OK");
  } finally {
    await server.stop();
  }
});

test("a file store that cannot be listed: 503 naming storage, the cause in the log; /healthz still OK", async () => {
  const { server, env } = await serverWithKnownStore();
  try {
    expect((await call(server.url, "GET", "/readyz")).status).toBe(200);
    await breakFileStore(server.dataDir, env);
    const res = await call(server.url, "GET", "/readyz");
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: "unavailable", checks: { database: "ok", storage: "failed" } });
    await waitForOutput(server, "WARN readiness: storage check failed", 10_000); // logged after the answer, through a pipe
    expect((await call(server.url, "GET", "/readyz")).status).toBe(503);
    expect((await call(server.url, "GET", "/healthz")).body).toBe("OK");
  } finally {
    await server.stop();
  }
});

test("a database that does not answer the query: 503 naming the database, and 200 again once it does", async () => {
  const { server } = await serverWithKnownStore();
  try {
    expect((await call(server.url, "GET", "/readyz")).status).toBe(200);
    // Behind the server's back, the table its check reads goes away (on PostgreSQL its cached plan is re-checked too).
    await queryDatabase(server.dataDir, "ALTER TABLE users RENAME TO users_away");
    const res = await call(server.url, "GET", "/readyz");
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: "unavailable", checks: { database: "failed", storage: "ok" } });
    await waitForOutput(server, "WARN readiness: database check failed", 10_000);
    await queryDatabase(server.dataDir, "ALTER TABLE users_away RENAME TO users");
    const again = await call(server.url, "GET", "/readyz");
    expect(again.status).toBe(200);
    expect(again.body).toEqual(READY);
    await waitForOutput(server, "INFO readiness: database answers again", 10_000);
  } finally {
    await server.stop();
  }
});

test("the OpenAPI document lists /readyz", async () => {
  const app = await startInProcess({}, { clock: new FakeClock() });
  try {
    const document = await app.request("GET", "/openapi/json");
    expect(Object.keys(document.body.paths)).toContain("/readyz");
  } finally {
    await app.close();
    removeDataDir(app.dataDir);
  }
});

test("no API can be mounted over /readyz", () => {
  expect(() => loadConfig({ LNCRAWL_ENABLED: "true", LNCRAWL_PREFIX: "/readyz" })).toThrow(/LNCRAWL_PREFIX: "\/readyz" overlaps "\/readyz"/);
});
