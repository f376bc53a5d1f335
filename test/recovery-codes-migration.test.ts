// Migration recovery_codes_shared (issue 24): WolfPal's backup codes move from one_time_codes into recovery_codes
// beside Faroe's recovery codes, on the suite's backend. Every code from before still works, once, in its own API,
// and the two kinds stay apart.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendEnv, queryDatabase, rememberDatabase } from "./support/backend.ts";
import { faroeCaller, FAROE_CREDENTIAL, type FaroeCaller } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import { dialect, migrateToBefore } from "./support/older-schema.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

setDefaultTimeout(60_000);

const sha256 = (value: string) => new Bun.CryptoHasher("sha256").update(value).digest("hex");
const now = Date.now();
const user = { id: crypto.randomUUID(), email: "old-wolf@example.com", password: "wolf-password" };
const other = { id: crypto.randomUUID(), email: "old-faroe@example.com" };
// As the old latchkey stored them: backup codes digested with the user's id, recovery codes (upper case) without.
const backupCodes = ["31415926", "27182818", "14142135"] as const;
const recoveryCode = "9TW45AZU";
const othersRecoveryCode = "K7XQ2MRP";
const totpSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

let dataDir: string;
let server: TestServer;
let faroe: FaroeCaller;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "latchkey-recovery-codes-migration-"));
  rememberDatabase(dataDir, { DATA_DIR: dataDir, ...(await backendEnv(dataDir)) });
  await migrateToBefore(dataDir, "recovery_codes_shared");
  const passwordHash = await Bun.password.hash(user.password, { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 });
  const insertUser = "INSERT INTO users (id, email, password_hash, active, email_verified, default_role, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
  await queryDatabase(dataDir, insertUser, [user.id, user.email, passwordHash, true, true, "user", now]);
  await queryDatabase(dataDir, insertUser, [other.id, other.email, null, true, true, "user", now]);
  await queryDatabase(dataDir, "INSERT INTO totp_credentials (user_id, secret, enabled, created_at) VALUES (?, ?, ?, ?)", [user.id, totpSecret, true, now]);
  // As text: a string bound straight to a jsonb parameter would be stored as a JSON string, not as the object.
  const json = dialect === "postgres" ? "(?::text)::jsonb" : "?";
  for (const code of backupCodes) {
    await queryDatabase(
      dataDir,
      `INSERT INTO one_time_codes (id, user_id, purpose, secret_hash, data, expires_at, created_at) VALUES (?, ?, 'backup-code', ?, ${json}, ?, ?)`,
      [crypto.randomUUID(), user.id, sha256(`${user.id}:${code}`), JSON.stringify({ code }), Number.MAX_SAFE_INTEGER, now],
    );
  }
  // A mail's ticket in one_time_codes stays a ticket (in challenges, since the migration that follows).
  await queryDatabase(dataDir, `INSERT INTO one_time_codes (id, user_id, purpose, secret_hash, data, expires_at, created_at) VALUES (?, ?, 'reset-password', ?, ${json}, ?, ?)`, [
    crypto.randomUUID(),
    user.id,
    sha256("a-ticket"),
    "{}",
    now + 3_600_000,
    now,
  ]);
  const insertRecoveryCode = "INSERT INTO recovery_codes (id, user_id, code_hash, code, created_at) VALUES (?, ?, ?, ?, ?)";
  await queryDatabase(dataDir, insertRecoveryCode, ["recoverycode1", user.id, sha256(recoveryCode), recoveryCode, now]);
  await queryDatabase(dataDir, insertRecoveryCode, ["recoverycode2", other.id, sha256(othersRecoveryCode), othersRecoveryCode, now]);
  server = await startServer({ WOLFPAL_ENABLED: "true", FAROE_CREDENTIAL }, { dataDir });
  faroe = faroeCaller(server);
});

afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  body: new URLSearchParams(fields).toString(),
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
});

/** WolfPal's two steps with `code`; answers the second step's response. */
async function wolfpalSignIn(code: string) {
  const first = await call(server.url, "POST", "/wolfpal/auth/login", form({ email: user.email, password: user.password }));
  expect(first.body).toMatchObject({ code: "TWO_FACTOR_REQUIRED", twoFactor: true });
  return call(server.url, "POST", "/wolfpal/auth/two-factor", form({ token: first.body.token, code }));
}

test("every code is in recovery_codes under its kind; only what was not a backup code stays a ticket", async () => {
  const rows = await queryDatabase<{ user_id: string; purpose: string; code: string }>(dataDir, "SELECT user_id, purpose, code FROM recovery_codes");
  expect(rows.map((row) => `${row.user_id === user.id ? "user" : "other"} ${row.purpose} ${row.code}`).sort()).toEqual(
    [...backupCodes.map((code) => `user backup-code ${code}`), `user recovery-code ${recoveryCode}`, `other recovery-code ${othersRecoveryCode}`].sort(),
  );
  const left = await queryDatabase<{ purpose: string }>(dataDir, "SELECT purpose FROM challenges");
  expect(left).toEqual([{ purpose: "reset-password" }]);
});

test("a backup code from before signs in through WolfPal once; the download lists the others, as they were issued", async () => {
  const signedIn = await wolfpalSignIn(backupCodes[1]);
  expect(signedIn.status).toBe(200);
  expect((await wolfpalSignIn(backupCodes[1])).status).toBe(401);
  const file = await call(server.url, "GET", "/wolfpal/account/two-factor/backup-codes", { headers: { authorization: `Bearer ${signedIn.body.access_token}` } });
  expect(String(file.body).trim().split("\n")).toEqual([backupCodes[0], backupCodes[2]]);
});

test("the kinds stay apart: a recovery code is no backup code, a backup code no recovery code; a new recovery code keeps the backup codes", async () => {
  // Faroe shows the recovery code, not a backup code.
  expect((await faroe("GET", `/users/${user.id}/recovery-code`)).body).toEqual({ recovery_code: recoveryCode });
  expect((await wolfpalSignIn(recoveryCode)).status).toBe(401);
  const refused = await faroe("POST", `/users/${user.id}/reset-2fa`, { json: { recovery_code: backupCodes[0] } });
  expect(refused.body).toEqual({ error: "INCORRECT_CODE" });
  // Another user's code is not this user's.
  expect((await faroe("POST", `/users/${user.id}/reset-2fa`, { json: { recovery_code: othersRecoveryCode } })).body).toEqual({ error: "INCORRECT_CODE" });
  // The wrong tries above counted against the user's second factor: a right TOTP code clears them.
  await awayFromStepEdge();
  expect((await wolfpalSignIn(totpCode(totpSecret))).status).toBe(200);

  const regenerated = await faroe("POST", `/users/${other.id}/regenerate-recovery-code`);
  expect(regenerated.body.recovery_code).toMatch(/^[A-Z2-9]{8}$/);
  expect(regenerated.body.recovery_code).not.toBe(othersRecoveryCode);
  expect((await faroe("GET", `/users/${other.id}/recovery-code`)).body).toEqual(regenerated.body);
});

test("the recovery code from before, typed in lower case, turns TOTP off once and is replaced; the backup codes stay", async () => {
  const reset = await faroe("POST", `/users/${user.id}/reset-2fa`, { json: { recovery_code: recoveryCode.toLowerCase() } });
  expect(reset.status).toBe(200);
  expect(reset.body.recovery_code).toMatch(/^[A-Z2-9]{8}$/);
  expect(reset.body.recovery_code).not.toBe(recoveryCode);
  expect((await faroe("GET", `/users/${user.id}`)).body.registered_totp).toBe(false);
  expect((await faroe("POST", `/users/${user.id}/reset-2fa`, { json: { recovery_code: recoveryCode } })).body).toEqual({ error: "INCORRECT_CODE" });
  expect((await faroe("GET", `/users/${user.id}/recovery-code`)).body).toEqual({ recovery_code: reset.body.recovery_code });
  const rows = await queryDatabase<{ code: string }>(dataDir, "SELECT code FROM recovery_codes WHERE user_id = ? AND purpose = 'backup-code'", [user.id]);
  expect(rows.map((row) => row.code).sort()).toEqual([backupCodes[0], backupCodes[2]].sort());
});
