// SQLite's WAL is checkpointed by a background thread (src/db/sqlite-checkpointer.ts) instead of inside the
// server's commits: what the server commits reaches the database file itself well before SQLite's own threshold,
// and the WAL is rewound (its file stays small) under a steady stream of writes.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DatabaseHandle } from "../src/db/client.ts";
import { createHousekeepingRepository } from "../src/db/repositories/housekeeping.ts";
import { openSqlite } from "../src/db/sqlite.ts";
import { ON_DATA_DIR } from "./support/backend.ts";
import { eventually } from "./support/eventually.ts";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
const scratch = mkdtempSync(join(tmpdir(), "latchkey-wal-"));
beforeAll(async () => {
  server = await startServer(ON_DATA_DIR);
});
afterAll(async () => {
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Whether the database file alone (without its -wal) has an account for `email`: only a checkpoint puts it there. */
function inDatabaseFile(email: string): boolean {
  const copy = join(scratch, `copy-${crypto.randomUUID()}.db`);
  copyFileSync(join(server.dataDir, "latchkey.db"), copy);
  try {
    const db = new Database(copy, { readonly: true });
    try {
      return db.query("SELECT 1 FROM users WHERE email = ?").get(email) !== null;
    } finally {
      db.close();
    }
  } catch {
    return false; // copied while a checkpoint was writing it: try again
  } finally {
    rmSync(copy, { force: true });
  }
}

test("a commit reaches the database file without waiting for SQLite's threshold of 1,000 pages", async () => {
  const email = `wal-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123", cookie: false } });
  expect(res.status).toBe(200);
  // A registration writes a few pages; with SQLite's own checkpoints they would stay in the WAL.
  await eventually(() => inDatabaseFile(email), { what: "the registration in the database file", timeoutMs: 4_000, intervalMs: 50 });
});

test("under steady writes the WAL is rewound, so its file stays far below SQLite's backstop", async () => {
  // 8 refresh chains of 500 rotations: each rotation appends ~4-5 pages (a session row and its indexes), ~70 MB of
  // WAL in all if only SQLite's backstop (16384 pages, 64 MiB) rewound it. With the worker and the server's part
  // it is rewound after every pass, every 100 ms, so it stays at what is written between two passes.
  const chains = await Promise.all(
    Array.from({ length: 8 }, async (_, index) => {
      const email = `chain${index}-${crypto.randomUUID().slice(0, 8)}@example.com`;
      const res = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123", cookie: false } });
      expect(res.status).toBe(200);
      return res.body.refresh_token as string;
    }),
  );
  await Promise.all(
    chains.map(async (first) => {
      let token = first;
      for (let rotation = 0; rotation < 500; rotation++) {
        const res = await call(server.url, "GET", `/auth/token/refresh?refresh_token=${token}`);
        expect(res.status).toBe(200);
        token = res.body.refresh_token;
      }
    }),
  );
  // The file keeps its largest size until truncated (journal_size_limit, 64 MiB), so this is the WAL's peak.
  expect(statSync(join(server.dataDir, "latchkey.db-wal")).size).toBeLessThan(32 * 1024 * 1024);
}, 30_000);

describe("bulk writes paced by the checkpoint thread (the purge, src/db/repositories/housekeeping.ts)", () => {
  // In process: the server's database handle as server.ts opens it (checkpoint thread, SQLITE_CACHE_MB's cache).
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = openSqlite(join(scratch, "paced.db"), { backgroundCheckpoints: true, cacheMiB: 16 });
    await handle.migrate();
  });
  afterAll(async () => {
    await handle.close();
  });

  test("the page cache is the one asked for (negative: KiB)", async () => {
    expect(await handle.db.all(sql`PRAGMA cache_size`)).toEqual([[-16 * 1024]]);
  });

  test("writesCheckpointed resolves once what was committed is in the database file", async () => {
    const { rateLimits } = handle.db.tables;
    await handle.db.insert(rateLimits).values({ key: "checkpointed-now", count: 1, windowStart: 1 });
    await handle.db.writesCheckpointed();
    const copy = join(scratch, "paced-copy.db");
    copyFileSync(join(scratch, "paced.db"), copy);
    const db = new Database(copy, { readonly: true });
    try {
      expect(db.query("SELECT count FROM rate_limits WHERE key = 'checkpointed-now'").get()).toEqual({ count: 1 });
    } finally {
      db.close();
    }
  });

  test("a sliced purge waiting for the checkpoint thread between slices deletes every dead row and no live one", async () => {
    const { rateLimits } = handle.db.tables;
    const now = Date.now();
    const rows = Array.from({ length: 2000 }, (_, n) => ({ key: `paced-${n}`, count: 1, windowStart: n % 4 === 0 ? now - 1 : now }));
    for (let from = 0; from < rows.length; from += 500) await handle.db.insert(rateLimits).values(rows.slice(from, from + 500));
    const expired = rows.filter((row) => row.windowStart < now).length + 1; // and the row of the test above
    expect(await createHousekeepingRepository(handle.db, { sliceTargetMs: 0 }).deleteRateLimitsStartedBefore(now)).toBe(expired);
    const left = await handle.db.select({ windowStart: rateLimits.windowStart }).from(rateLimits);
    expect(left.length).toBe(rows.length + 1 - expired);
    expect(left.every((row) => row.windowStart === now)).toBe(true);
  });
});
