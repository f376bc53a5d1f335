// Migration challenges: the tickets of one_time_codes and Faroe's email-verification and password-reset requests
// move into one table, on the suite's backend. A live ticket or request from before still works, once, as it did;
// expired ones stay behind with the old tables.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendEnv, queryDatabase, rememberDatabase } from "./support/backend.ts";
import { faroeCaller, FAROE_CREDENTIAL, type FaroeCaller } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import { dialect, migrateToBefore } from "./support/older-schema.ts";
import { startServer, type TestServer } from "./support/server.ts";

setDefaultTimeout(60_000);

const sha256 = (value: string) => new Bun.CryptoHasher("sha256").update(value).digest("hex");
const argon2id = (value: string) => Bun.password.hash(value, { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 });
const now = Date.now();
const alice = { id: crypto.randomUUID(), email: "old-alice@example.com", password: "alice-password" };
const bob = { id: crypto.randomUUID(), email: "old-bob@example.com", password: "bob-password" };
const ticket = crypto.randomUUID();
const expiredTicket = crypto.randomUUID();
const verification = { id: "abcdefghijkmnpqrstuvwxyz", code: "ABCD2345", email: "new-alice@example.com" };
// Already past its code: the next step sets the password.
const reset = { id: "zyxwvutsrqpnmkjihgfedcba", code: "WXYZ6789" };
const unprovenReset = { id: "mnpqrstuvwxyzabcdefghijk", code: "QRST2345" };

let dataDir: string;
let server: TestServer;
let faroe: FaroeCaller;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "latchkey-challenges-migration-"));
  rememberDatabase(dataDir, { DATA_DIR: dataDir, ...(await backendEnv(dataDir)) });
  await migrateToBefore(dataDir, "challenges");
  const insertUser = "INSERT INTO users (id, email, password_hash, active, email_verified, default_role, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
  await queryDatabase(dataDir, insertUser, [alice.id, alice.email, await argon2id(alice.password), true, false, "user", now]);
  await queryDatabase(dataDir, insertUser, [bob.id, bob.email, await argon2id(bob.password), true, false, "user", now]);
  // As text: a string bound straight to a jsonb parameter would be stored as a JSON string, not as the object.
  const json = dialect === "postgres" ? "(?::text)::jsonb" : "?";
  const insertTicket = `INSERT INTO one_time_codes (id, user_id, purpose, secret_hash, data, expires_at, created_at) VALUES (?, ?, 'reset-password', ?, ${json}, ?, ?)`;
  await queryDatabase(dataDir, insertTicket, [crypto.randomUUID(), alice.id, sha256(ticket), "{}", now + 3_600_000, now]);
  await queryDatabase(dataDir, insertTicket, [crypto.randomUUID(), bob.id, sha256(expiredTicket), "{}", now - 1_000, now - 3_600_000]);
  await queryDatabase(
    dataDir,
    "INSERT INTO email_verification_requests (id, user_id, email, code, attempts, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    [verification.id, alice.id, verification.email, verification.code, 1, now, now + 600_000],
  );
  const insertReset =
    "INSERT INTO password_reset_requests (id, user_id, code_hash, email_verified, two_factor_verified, attempts, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  await queryDatabase(dataDir, insertReset, [reset.id, bob.id, await argon2id(reset.code), true, false, 0, now, now + 600_000]);
  await queryDatabase(dataDir, insertReset, [unprovenReset.id, alice.id, await argon2id(unprovenReset.code), false, false, 4, now, now + 600_000]);
  server = await startServer({ FAROE_CREDENTIAL, LOST_PASSWORD_ENABLED: "true" }, { dataDir });
  faroe = faroeCaller(server);
});

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const login = (who: { email: string; password: string }) => call(server.url, "POST", "/auth/login", { json: { ...who, cookie: false } });

test("every live ticket and request is a challenge under its purpose; the expired ticket stayed behind", async () => {
  const rows = await queryDatabase<{ purpose: string; attempts: number }>(dataDir, "SELECT purpose, attempts FROM challenges ORDER BY purpose, attempts");
  expect(rows.map((row) => `${row.purpose} ${Number(row.attempts)}`)).toEqual([
    "email-verification 1",
    "password-reset-request 0",
    "password-reset-request 4",
    "reset-password 0",
  ]);
  const oldTables = dialect === "postgres" ? "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'" : "SELECT name FROM sqlite_master WHERE type = 'table'";
  const names = (await queryDatabase<{ name: string }>(dataDir, oldTables)).map((row) => row.name);
  expect(names).not.toContain("one_time_codes");
  expect(names).not.toContain("email_verification_requests");
  expect(names).not.toContain("password_reset_requests");
});

test("the reset ticket from before sets a new password once", async () => {
  const change = (value: string) => call(server.url, "POST", "/auth/change-password/change", { json: { ticket: value, new_password: "alice-new-password" } });
  expect((await change(ticket)).status).toBe(204);
  expect((await change(ticket)).status).toBe(401);
  expect((await change(expiredTicket)).status).toBe(401);
  expect((await login({ email: alice.email, password: "alice-new-password" })).status).toBe(200);
});

test("a reset request from before keeps the steps it passed and its wrong tries", async () => {
  // Four wrong codes before: one more is allowed, and the try after it deletes the request.
  const wrong = await faroe("POST", `/password-reset/${unprovenReset.id}/verify-email`, { json: { code: "AAAAAAAA" } });
  expect(wrong.body).toEqual({ error: "INCORRECT_CODE" });
  const last = await faroe("POST", `/password-reset/${unprovenReset.id}/verify-email`, { json: { code: unprovenReset.code } });
  expect(last.body).toEqual({ error: "TOO_MANY_REQUESTS" });
  expect((await faroe("GET", `/password-reset/${unprovenReset.id}`)).status).toBe(404);

  expect((await faroe("GET", `/password-reset/${reset.id}`)).body).toMatchObject({ id: reset.id, email_verified: true, two_factor_verified: false });
  const done = await faroe("POST", "/reset-password", { json: { request_id: reset.id, password: "bob-new-password" } });
  expect(done.status).toBe(200);
  expect((await login({ email: bob.email, password: "bob-new-password" })).status).toBe(200);
});

test("the verification request from before shows its code and proves its address once", async () => {
  const shown = await faroe("GET", `/users/${alice.id}/email-verification/${verification.id}`);
  expect(shown.body).toMatchObject({ id: verification.id, email: verification.email, code: verification.code });
  const verify = () => faroe("POST", `/users/${alice.id}/verify-email`, { json: { request_id: verification.id, code: verification.code.toLowerCase() } });
  const verified = await verify();
  expect(verified.status).toBe(200);
  expect(verified.body).toMatchObject({ id: alice.id, email: verification.email, email_verified: true });
  expect((await verify()).body).toEqual({ error: "INVALID_REQUEST_ID" });
});
