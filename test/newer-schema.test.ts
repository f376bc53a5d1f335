// Rollback safety (issue 25): a latchkey refuses to start on a database a newer latchkey has migrated, with a message
// naming its own version and newest migration and the one it does not know, exit code 1, and nothing changed. The
// newer migration is faked the way a newer binary leaves it: one more row in drizzle's journal table. Over the real
// process, on both backends.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../package.json";
import { embeddedMigrations } from "../src/db/migrations.ts";
import { backendEnv, queryDatabase, TEST_BACKEND } from "./support/backend.ts";
import { call } from "./support/http.ts";
import { runProcess } from "./support/process.ts";
import { latchkeyCommand, runLatchkey, startServer, TEST_JWT_KEY } from "./support/server.ts";

const engine = TEST_BACKEND === "postgres-s3" ? "postgres" : "sqlite";
const JOURNAL = engine === "postgres" ? "drizzle.__drizzle_migrations" : `"__drizzle_migrations"`;
const newest = embeddedMigrations(engine).at(-1)!;
/** A migration a later latchkey would have: a day after this one's newest. */
const FUTURE_MILLIS = newest.folderMillis + 86_400_000;
const FUTURE_HASH = "f0e1d2c3b4a5".repeat(5) + "9876";

test("a database with a migration this latchkey does not know: serve and migrate exit 1 naming both, and change nothing", async () => {
  // A directory of the test's own: startServer keeps a directory it was given when the server stops.
  const dataDir = mkdtempSync(join(tmpdir(), "latchkey-newer-schema-"));
  try {
    const server = await startServer({}, { dataDir });
    try {
      const registered = await call(server.url, "POST", "/auth/register", { json: { email: "old@example.com", password: "old-password", cookie: false } });
      expect(registered.status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    await queryDatabase(dataDir, `INSERT INTO ${JOURNAL} (hash, created_at) VALUES (?, ?)`, [FUTURE_HASH, FUTURE_MILLIS]);
    const journalBefore = await queryDatabase(dataDir, `SELECT hash, created_at FROM ${JOURNAL} ORDER BY created_at`);

    const env = { HOST: "127.0.0.1", PORT: "0", DATA_DIR: dataDir, JWT_KEY: TEST_JWT_KEY, ...(await backendEnv(dataDir)) };
    // Bounded: a latchkey that wrongly starts serving would otherwise run until the test's own timeout.
    const serve = await runProcess([...latchkeyCommand(), "serve"], {
      cwd: dataDir,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dataDir, ...env },
      timeoutMs: 20_000,
    });
    expect(serve.exitCode).toBe(1);
    expect(serve.stdout).not.toContain("listening on");
    const message = serve.stderr;
    expect(message).toContain(`latchkey ${pkg.version}: the database`);
    expect(message).toContain("was migrated by a newer latchkey");
    expect(message).toContain(`the newest this latchkey knows is ${newest.tag}, made ${new Date(newest.folderMillis).toISOString()}`);
    expect(message).toContain(`made ${new Date(FUTURE_MILLIS).toISOString()} (sha256 ${FUTURE_HASH.slice(0, 12)})`);
    expect(message).toContain("restore the backup taken before the upgrade");
    expect(message).not.toMatch(/^\s+at /m); // a message, not a stack trace

    const migrate = await runLatchkey(["migrate"], { DATA_DIR: dataDir, JWT_KEY: TEST_JWT_KEY }, dataDir);
    expect(migrate.exitCode).toBe(1);
    expect(migrate.stderr).toContain("was migrated by a newer latchkey");

    // Nothing was written: the journal is as the newer latchkey left it, the account still there.
    expect(await queryDatabase(dataDir, `SELECT hash, created_at FROM ${JOURNAL} ORDER BY created_at`)).toEqual(journalBefore);
    expect(await queryDatabase(dataDir, "SELECT email FROM users")).toEqual([{ email: "old@example.com" }]);

    // Rolled back (here: the newer migration's row taken out, as restoring the pre-upgrade backup would), it serves.
    await queryDatabase(dataDir, `DELETE FROM ${JOURNAL} WHERE created_at = ?`, [FUTURE_MILLIS]);
    const again = await startServer({}, { dataDir });
    try {
      const login = await call(again.url, "POST", "/auth/login", { json: { email: "old@example.com", password: "old-password", cookie: false } });
      expect(login.status).toBe(200);
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a database only as new as this latchkey starts as before (no false refusal after a restart)", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "latchkey-newer-schema-"));
  try {
    const first = await startServer({}, { dataDir });
    expect((await call(first.url, "GET", "/readyz")).status).toBe(200);
    await first.stop();
    const restarted = await startServer({}, { dataDir });
    try {
      expect((await call(restarted.url, "GET", "/readyz")).status).toBe(200);
    } finally {
      await restarted.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
