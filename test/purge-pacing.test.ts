// The purge of expired rows yields to requests (src/db/purge-pace.ts): on SQLite its slices run on the event loop, so
// while requests keep coming it takes one short slice per pause of its own instead of a third of the loop, and it
// still ends. Black-box: a server started on a database with a backlog of expired rows, requests sent throughout,
// and the purge's log line (`expired rows purged rows= slices= yielded=`). SQLite only (ON_DATA_DIR): PostgreSQL
// deletes in one statement on its own server.
import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ON_DATA_DIR } from "./support/backend.ts";
import { startServer, type TestServer } from "./support/server.ts";

const EXPIRED_ROWS = 60_000;
const LIVE_ROWS = 1_000;

const dataDir = mkdtempSync(join(tmpdir(), "latchkey-purge-pacing-"));
let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Rate-limit windows of long ago (what the purge deletes) and of now (what it keeps), straight into the file. */
function seedRateLimits(dataDir: string): void {
  const db = new Database(join(dataDir, "latchkey.db"));
  try {
    const insert = db.prepare("INSERT INTO rate_limits (key, count, window_start) VALUES (?, 1, ?)");
    db.transaction(() => {
      for (let n = 0; n < EXPIRED_ROWS; n++) insert.run(`expired-${n}`, 1);
      for (let n = 0; n < LIVE_ROWS; n++) insert.run(`live-${n}`, Date.now());
    })();
  } finally {
    db.close();
  }
}

test("while requests keep coming, the purge yields to them between its slices, and still deletes every expired row", async () => {
  const migrating = await startServer(ON_DATA_DIR, { dataDir });
  await migrating.stop();
  seedRateLimits(dataDir);

  server = await startServer(ON_DATA_DIR, { dataDir });
  const running = server;
  let purged = false;
  // Four clients, each sending its next request as soon as the last is answered, until the purge has ended.
  const clients = Array.from({ length: 4 }, async () => {
    let answered = 0;
    while (!purged) {
      const res = await fetch(`${running.url}/healthz`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      answered++;
    }
    return answered;
  });
  const line = await running.waitFor(/expired rows purged.*/, 50_000).finally(() => {
    purged = true;
  });
  const answered = (await Promise.all(clients)).reduce((sum, count) => sum + count, 0);
  expect(answered).toBeGreaterThan(0);

  const field = (name: string) => Number(new RegExp(`\\b${name}=(\\d+)`).exec(line[0])?.[1]);
  expect(field("rows")).toBe(EXPIRED_ROWS);
  // Every slice after a pause during which a request came waited BUSY_PAUSE_MS: the requests came throughout.
  expect(field("slices")).toBeGreaterThan(1);
  expect(field("yielded")).toBeGreaterThan(0);
}, 60_000);
