// SQLite's WAL is checkpointed by a background thread (src/db/sqlite-checkpointer.ts) instead of inside the
// server's commits: what the server commits reaches the database file itself well before SQLite's own threshold,
// and the WAL is rewound (its file stays small) under a steady stream of writes.
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
