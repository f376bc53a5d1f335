// Migrations session_per_row and session_carried_digest (issue 7): a database whose sessions had a row per refresh
// token, upgraded by starting the new server on it, on the suite's backend. Signed-in users stay signed in; what was already dead stays dead.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendEnv, queryDatabase, rememberDatabase } from "./support/backend.ts";
import { call } from "./support/http.ts";
import { migrateToBefore } from "./support/older-schema.ts";
import { startServer, type TestServer } from "./support/server.ts";

setDefaultTimeout(60_000);

const sha256 = (value: string) => new Bun.CryptoHasher("sha256").update(value).digest("hex");
const hour = 3_600_000;
const now = Date.now();

// Tokens as the old latchkey issued them (uuid v4s, any first half), in three sessions of one user.
const tokens = {
  rotated: crypto.randomUUID(), // session A's first token, exchanged for `live` an hour ago
  live: crypto.randomUUID(), // session A's current token
  revoked: crypto.randomUUID(), // session B, logged out
  other: crypto.randomUUID(), // session C, another device
};
const sessionA = crypto.randomUUID();
const sessionC = crypto.randomUUID();

let dataDir: string;
let server: TestServer;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "latchkey-session-migration-"));
  rememberDatabase(dataDir, { DATA_DIR: dataDir, ...(await backendEnv(dataDir)) });
  await migrateToBefore(dataDir, "session_per_row");
  await queryDatabase(dataDir, "INSERT INTO users (id, email, active, default_role, updated_at) VALUES (?, ?, ?, ?, ?)", ["u1", "old@example.com", true, "user", now]);
  const insert = (id: string, token: string, family: string, createdAt: number, rotatedAt: number | null, revokedAt: number | null) =>
    queryDatabase(
      dataDir,
      "INSERT INTO sessions (id, user_id, token_hash, family_id, expires_at, created_at, rotated_at, revoked_at) VALUES (?, 'u1', ?, ?, ?, ?, ?, ?)",
      [id, sha256(token), family, now + 24 * hour, createdAt, rotatedAt, revokedAt],
    );
  await insert(crypto.randomUUID(), tokens.rotated, sessionA, now - 2 * hour, now - hour, null);
  await insert(crypto.randomUUID(), tokens.live, sessionA, now - hour, null, null);
  await insert(crypto.randomUUID(), tokens.revoked, crypto.randomUUID(), now - hour, null, now - 1000);
  await insert(crypto.randomUUID(), tokens.other, sessionC, now - 3 * hour, null, null);
  // No grace: a token presented after its rotation is reuse at once.
  server = await startServer({ REFRESH_REUSE_GRACE_SECONDS: "0" }, { dataDir });
});

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const refresh = (token: string) => call(server.url, "GET", `/auth/token/refresh?refresh_token=${token}`);

test("each session is one row under its id, with its live token and the sign-in's time; dead rows are gone", async () => {
  const rows = await queryDatabase<{ id: string; handle: string | null; token_hash: string; carried_token_hash: string | null; created_at: number | string }>(
    dataDir,
    "SELECT id, handle, token_hash, carried_token_hash, created_at FROM sessions ORDER BY created_at",
  );
  expect(rows.map((row) => ({ ...row, created_at: Number(row.created_at) }))).toEqual([
    { id: sessionC, handle: null, token_hash: sha256(tokens.other), carried_token_hash: sha256(tokens.other), created_at: now - 3 * hour },
    { id: sessionA, handle: null, token_hash: sha256(tokens.live), carried_token_hash: sha256(tokens.live), created_at: now - 2 * hour },
  ]);
});

test("a live token from before refreshes; its successors keep its first half; presenting it again revokes its session", async () => {
  const first = await refresh(tokens.live);
  expect(first.status).toBe(200);
  const successor: string = first.body.refresh_token;
  expect(successor.slice(0, 18)).toBe(tokens.live.slice(0, 18));
  expect(successor).not.toBe(tokens.live);
  const second = await refresh(successor);
  expect(second.status).toBe(200);
  // Rotated once, the session is found by its handle like any other, and its digest is no longer in an index.
  const [row] = await queryDatabase<{ handle: string | null; carried_token_hash: string | null }>(dataDir, "SELECT handle, carried_token_hash FROM sessions WHERE id = ?", [sessionA]);
  expect(row).toEqual({ handle: tokens.live.slice(0, 18), carried_token_hash: null });

  // The carried-over token is now known as one of its session's: a reuse like any other.
  expect((await refresh(tokens.live)).status).toBe(401);
  expect((await refresh(second.body.refresh_token)).status).toBe(401);

  // Another session of the same user is untouched.
  expect((await refresh(tokens.other)).status).toBe(200);
});

test("tokens rotated or revoked before the migration are refused", async () => {
  for (const token of [tokens.rotated, tokens.revoked]) {
    const refused = await refresh(token);
    expect(refused.status).toBe(401);
    expect(refused.body.message).toBe("Invalid or expired refresh token.");
  }
});
