// `latchkey export` and `latchkey import` (issue 8): a SQLite deployment's accounts, hashes, sessions, TOTP secrets
// and file records move to another database, SQLite or PostgreSQL, and work there; bad files and non-empty targets
// are refused without writing anything.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../package.json";
import { ON_DATA_DIR, queryDatabase } from "./support/backend.ts";
import { call } from "./support/http.ts";
import { startPostgres, type TestPostgres } from "./support/postgres.ts";
import { runLatchkey, startServer } from "./support/server.ts";
import { download, upload } from "./support/storage.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

setDefaultTimeout(60_000);

const TABLES = [
  "users",
  "user_roles",
  "sessions",
  "challenges",
  "totp_credentials",
  "recovery_codes",
  "api_tokens",
  "user_identities",
  "webauthn_credentials",
  "files",
  "audit_log",
  "generated_secrets",
];
/** Up to format 3: tickets in one_time_codes, Faroe's requests in tables of their own. */
const FORMAT_3_TABLES = [
  "users",
  "user_roles",
  "sessions",
  "one_time_codes",
  "totp_credentials",
  "recovery_codes",
  "email_verification_requests",
  "password_reset_requests",
  "api_tokens",
  "files",
  "generated_secrets",
];

let work: string;
let sourceDir: string;
let exportFile: string;
let exportText: string;
const alice = { email: "alice@example.com", password: "alice-password", id: "", refreshToken: "", accessToken: "" };
const bob = { email: "bob@example.com", password: "bob-password", secret: "" };
let fileKey: string;
const fileContent = "the bytes live outside the database\n";
let metadataBefore: unknown;

/**
 * SQLite and local disk in `dataDir`, whatever LATCHKEY_TEST_BACKEND says: the move starts from a SQLite deployment.
 * No JWT_KEY: the signing key is generated into the database, and must move with it.
 */
const GENERATED_KEYS = { JWT_KEY: "" };
const onDisk = (dataDir: string) => ({ DATA_DIR: dataDir, ...ON_DATA_DIR, ...GENERATED_KEYS });
const freshDir = (name: string) => join(mkdtempSync(join(work, `${name}-`)), "data");

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "latchkey-export-"));
  sourceDir = join(work, "source");
  // lncrawl on: its `admin` account (a username, no address) moves too.
  const server = await startServer({ ...ON_DATA_DIR, ...GENERATED_KEYS, LNCRAWL_ENABLED: "true" }, { dataDir: sourceDir });
  try {
    const registered = await call(server.url, "POST", "/auth/register", { json: { email: alice.email, password: alice.password, cookie: false } });
    expect(registered.status).toBe(200);
    alice.id = registered.body.user.id;
    alice.refreshToken = registered.body.refresh_token;
    alice.accessToken = registered.body.jwt_token;
    const auth = { authorization: `Bearer ${registered.body.jwt_token}` };

    const bobs = await call(server.url, "POST", "/auth/register", { json: { email: bob.email, password: bob.password, cookie: false } });
    const bobAuth = { authorization: `Bearer ${bobs.body.jwt_token}` };
    const generated = await call(server.url, "POST", "/auth/mfa/generate", { headers: bobAuth });
    bob.secret = generated.body.otp_secret;
    await awayFromStepEdge();
    // The previous step's code, so the current one is still unused when bob signs in after the move.
    const enabled = await call(server.url, "POST", "/auth/mfa/enable", { headers: bobAuth, json: { code: totpCode(bob.secret, -1) } });
    expect(enabled.status).toBe(204);

    // lncrawl's generated administrator signs in to the console: an audit entry to move.
    const adminPassword = readFileSync(join(sourceDir, "admin-password.txt"), "utf8").trim();
    const consoleSession = await call(server.url, "POST", "/console/api/session", { json: { email: "admin", password: adminPassword } });
    expect(consoleSession.status).toBe(200);

    fileKey = `user/${alice.id}/notes.txt`;
    expect((await upload(server.url, fileKey, fileContent, { headers: auth, type: "text/plain" })).status).toBe(200);
    metadataBefore = (await call(server.url, "GET", `/storage/m/${fileKey}`, { headers: auth })).body;
    expect(metadataBefore).toMatchObject({ key: fileKey, ContentType: expect.stringContaining("text/plain"), Metadata: { token: expect.any(String) } });
  } finally {
    await server.stop();
  }
  exportFile = join(work, "export.jsonl");
  const exported = await runLatchkey(["export", exportFile], onDisk(sourceDir), sourceDir);
  expect(exported.stderr).toContain("users: 3");
  expect(exported.exitCode).toBe(0);
  exportText = await Bun.file(exportFile).text();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const parseLines = (text: string): any[] => text.trimEnd().split("\n").map((line) => JSON.parse(line));

// Sorted by table and primary key: the engines may page in other orders, and jsonb reorders an object's keys.
const sortKey = (line: any) =>
  line.table
    ? `${line.table} ${JSON.stringify([line.row.id, line.row.token, line.row.key, line.row.user_id, line.row.role, line.row.name])}`
    : JSON.stringify(line);
const sortedLines = (text: string) => parseLines(text).toSorted((a, b) => sortKey(a).localeCompare(sortKey(b)));

/** Signs in, answering the HTTP status and the body (a session, or an MFA ticket). */
const login = (url: string, who: { email: string; password: string }) =>
  call(url, "POST", "/auth/login", { json: { email: who.email, password: who.password, cookie: false } });

/** What a user of the old deployment relies on, checked on a server started on the imported database. */
async function checkMoved(url: string, options: { fileBytes: boolean }): Promise<void> {
  // Signed before the export by the key latchkey generated: the key came along (generated_secrets).
  const before = await call(url, "GET", `/storage/m/${fileKey}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
  expect(before.status).toBe(200);

  const session = await login(url, alice);
  expect(session.status).toBe(200);
  expect(session.body.user.id).toBe(alice.id);

  // Issued before the export: the session row (its digest) came along.
  const refreshed = await call(url, "GET", `/auth/token/refresh?refresh_token=${alice.refreshToken}`);
  expect(refreshed.status).toBe(200);
  expect(refreshed.body.refresh_token).toMatch(/^[0-9a-f-]{36}$/);
  // Its successor works too, and names the same session (the handle, the token's first half, stays).
  const next = await call(url, "GET", `/auth/token/refresh?refresh_token=${refreshed.body.refresh_token}`);
  expect(next.status).toBe(200);
  expect(next.body.refresh_token.slice(0, 18)).toBe(alice.refreshToken.slice(0, 18));

  const ticket = await login(url, bob);
  expect(ticket.body).toEqual({ mfa: true, ticket: expect.any(String) });
  const second = await call(url, "POST", "/auth/mfa/totp", { json: { ticket: ticket.body.ticket, code: totpCode(bob.secret), cookie: false } });
  expect(second.status).toBe(200);
  expect(second.body.user.email).toBe(bob.email);

  const auth = { authorization: `Bearer ${session.body.jwt_token}` };
  const metadata = await call(url, "GET", `/storage/m/${fileKey}`, { headers: auth });
  expect(metadata.status).toBe(200);
  expect(metadata.body).toEqual(metadataBefore);
  if (options.fileBytes) {
    const bytes = await download(url, `/storage/o/${fileKey}`, auth);
    expect(bytes.status).toBe(200);
    expect(new TextDecoder().decode(bytes.bytes)).toBe(fileContent);
  }
}

describe("export", () => {
  test("writes a JSON Lines file of mode 0600: the header, every row with parents first, and the end line", () => {
    expect(statSync(exportFile).mode & 0o777).toBe(0o600);
    const lines = parseLines(exportText);
    expect(lines[0]).toEqual({ latchkey_export: 6, version: pkg.version, tables: TABLES });
    // The console's audit log moves too (the administrator's sign-in on the old server).
    expect(lines.filter((line) => line.table === "audit_log").map((line) => line.row)).toEqual([
      expect.objectContaining({ action: "sign_in", admin_email: "admin", details: { second_factor: "none" } }),
    ]);

    const rows = lines.slice(1, -1);
    const order = rows.map((line) => TABLES.indexOf(line.table));
    expect(order).toEqual(order.toSorted((a, b) => a - b));
    const counts = Object.fromEntries(TABLES.map((table) => [table, rows.filter((line) => line.table === table).length]));
    expect(lines.at(-1)).toEqual({ end: counts });
    expect(counts).toMatchObject({ users: 3, totp_credentials: 1, files: 1 }); // alice, bob and lncrawl's admin

    const aliceRow = rows.find((line) => line.table === "users" && line.row.email === alice.email)!.row;
    expect(aliceRow).toMatchObject({ id: alice.id, active: true, disabled: false, metadata: expect.any(Object), created_at: expect.any(Number) });
    expect(aliceRow.password_hash).toStartWith("$argon2id$");
    expect(rows.find((line) => line.table === "totp_credentials").row).toMatchObject({ secret: bob.secret, enabled: true });
    expect(rows.find((line) => line.table === "files").row).toMatchObject({ key: fileKey, owner_id: alice.id, size: fileContent.length });
  });

  test("without a file (or with -) writes the same to stdout", async () => {
    const exported = await runLatchkey(["export", "-"], onDisk(sourceDir), sourceDir);
    expect(exported.exitCode).toBe(0);
    expect(exported.stdout).toBe(exportText);
  });

  test("refuses a data directory without a database instead of exporting nothing", async () => {
    const empty = freshDir("nothing");
    const exported = await runLatchkey(["export", join(work, "nothing.jsonl")], onDisk(empty), work);
    expect(exported.exitCode).toBe(1);
    expect(exported.stderr).toContain(`no latchkey database in ${empty}`);
    expect(existsSync(join(empty, "latchkey.db"))).toBe(false);
  });
});

describe("import into SQLite", () => {
  test("passwords, refresh tokens, TOTP and file records work on the new database; file bytes copied as README says", async () => {
    const target = freshDir("sqlite");
    const imported = await runLatchkey(["import", exportFile], onDisk(target), work);
    expect(imported.exitCode).toBe(0);
    expect(imported.stdout).toContain("users: 3\n");
    expect(imported.stdout).toContain("files: 1\n");
    cpSync(join(sourceDir, "storage", "objects"), join(target, "storage", "objects"), { recursive: true });

    const server = await startServer({ ...ON_DATA_DIR, ...GENERATED_KEYS }, { dataDir: target });
    try {
      await checkMoved(server.url, { fileBytes: true });
    } finally {
      await server.stop();
    }
  });

  test("reads stdin; refuses a database that already has accounts", async () => {
    const target = freshDir("twice");
    const fromStdin = await runLatchkey(["import"], onDisk(target), work, { stdin: Bun.file(exportFile) });
    expect(fromStdin.exitCode).toBe(0);
    expect(fromStdin.stdout).toContain("imported stdin into");
    const again = await runLatchkey(["import", exportFile], onDisk(target), work);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain("the target database already has accounts; import needs an empty database");
  });
});

/**
 * The export as latchkey wrote it in format 3 (its lines), before every ticket and request moved into challenges: the
 * same rows, with the tables of then. The export has no challenges: nothing was pending when it was made.
 */
function formatThreeLines(): any[] {
  const lines = parseLines(exportText);
  expect(lines.filter((line) => line.table === "challenges")).toEqual([]);
  // Nor the console's audit log (format 6).
  const { challenges: _none, audit_log: _audit, ...counts } = lines.at(-1).end;
  const end = { ...counts, one_time_codes: 0, email_verification_requests: 0, password_reset_requests: 0 };
  const rows = lines.slice(1, -1).filter((line) => line.table !== "audit_log");
  return [{ ...lines[0], latchkey_export: 3, tables: FORMAT_3_TABLES }, ...rows, { end }];
}

/**
 * The export as latchkey wrote it in format 1, when each refresh token had its own row: the sessions' live tokens,
 * and for each session a token it rotated before and a revoked session beside it.
 */
function formatOneExport(): { text: string; sessions: number } {
  const lines = formatThreeLines();
  const oldRows = (row: any) => {
    const { handle: _handle, carried_token_hash: _carried, id, ...rest } = row;
    const live = { ...rest, id: crypto.randomUUID(), family_id: id, rotated_at: null };
    const rotated = { ...live, id: crypto.randomUUID(), token_hash: new Bun.CryptoHasher("sha256").update(crypto.randomUUID()).digest("hex"), rotated_at: row.created_at };
    const revoked = { ...live, id: crypto.randomUUID(), family_id: crypto.randomUUID(), token_hash: `${live.token_hash}-revoked`, revoked_at: row.created_at };
    return [rotated, live, revoked].map((old) => ({ table: "sessions", row: old }));
  };
  const converted = lines.flatMap((line) => (line.table === "sessions" ? oldRows(line.row) : [line]));
  const sessions = lines.filter((line) => line.table === "sessions").length;
  converted[0] = { ...converted[0], latchkey_export: 1 };
  converted[converted.length - 1] = { end: { ...converted.at(-1).end, sessions: sessions * 3 } };
  return { text: converted.map((line) => JSON.stringify(line)).join("\n") + "\n", sessions };
}

describe("import of an older format", () => {
  test("format 1 (a row per refresh token): each session keeps its live token; rotated and revoked rows stay out", async () => {
    const { text, sessions } = formatOneExport();
    expect(sessions).toBeGreaterThanOrEqual(2);
    const file = join(work, "format-1.jsonl");
    writeFileSync(file, text);
    const target = freshDir("format-1");
    const imported = await runLatchkey(["import", file], onDisk(target), work);
    expect(imported.stderr).toBe("");
    expect(imported.exitCode).toBe(0);
    expect(imported.stdout).toContain(`sessions: ${sessions}\n`);
    const rows = await queryDatabase<{ handle: string | null; token_hash: string; carried_token_hash: string | null; rotated_at: number | null; revoked_at: number | null }>(
      target,
      "SELECT handle, token_hash, carried_token_hash, rotated_at, revoked_at FROM sessions",
    );
    expect(rows).toHaveLength(sessions);
    for (const row of rows) expect(row).toEqual({ handle: null, token_hash: row.token_hash, carried_token_hash: row.token_hash, rotated_at: null, revoked_at: null });

    const server = await startServer({ ...ON_DATA_DIR, ...GENERATED_KEYS }, { dataDir: target });
    try {
      await checkMoved(server.url, { fileBytes: false });
    } finally {
      await server.stop();
    }
  });
});

/**
 * The export as latchkey wrote it in format 2, when backup codes were one_time_codes rows and recovery_codes held
 * Faroe's recovery codes digested without the user's id: bob with two backup codes and a recovery code.
 */
function formatTwoExport(): { text: string; bobId: string; backupCodes: string[]; recoveryCode: string } {
  const lines = formatThreeLines();
  const sha256 = (value: string) => new Bun.CryptoHasher("sha256").update(value).digest("hex");
  const bobId: string = lines.find((line) => line.table === "users" && line.row.email === bob.email).row.id;
  const backupCodes = ["31415926", "27182818"];
  const recoveryCode = "9TW45AZU";
  const created_at = Date.now();
  const backupRows = backupCodes.map((code) => ({
    table: "one_time_codes",
    row: { id: crypto.randomUUID(), user_id: bobId, purpose: "backup-code", secret_hash: sha256(`${bobId}:${code}`), data: { code }, attempts: 0, expires_at: Number.MAX_SAFE_INTEGER, created_at },
  }));
  const recoveryRow = { table: "recovery_codes", row: { id: "oldrecoverycode", user_id: bobId, code_hash: sha256(recoveryCode), code: recoveryCode, used_at: null, created_at } };
  const rows = lines.slice(1, -1);
  expect(rows.filter((line) => line.table === "recovery_codes" || line.table === "one_time_codes")).toEqual([]);
  // A stable sort: each table's rows keep their order, the new ones go where their tables are.
  const ordered = [...rows, ...backupRows, recoveryRow].toSorted((a, b) => FORMAT_3_TABLES.indexOf(a.table) - FORMAT_3_TABLES.indexOf(b.table));
  const converted = [{ ...lines[0], latchkey_export: 2 }, ...ordered, { end: { ...lines.at(-1).end, one_time_codes: 2, recovery_codes: 1 } }];
  return { text: converted.map((line) => JSON.stringify(line)).join("\n") + "\n", bobId, backupCodes, recoveryCode };
}

describe("import of format 2", () => {
  test("backup codes move from one_time_codes to recovery_codes; both kinds of code work once, in their own API", async () => {
    const { text, bobId, backupCodes, recoveryCode } = formatTwoExport();
    const file = join(work, "format-2.jsonl");
    writeFileSync(file, text);
    const target = freshDir("format-2");
    const imported = await runLatchkey(["import", file], onDisk(target), work);
    expect(imported.stderr).toBe("");
    expect(imported.exitCode).toBe(0);
    expect(imported.stdout).toContain("challenges: 0\n");
    expect(imported.stdout).toContain("recovery_codes: 3\n");
    const rows = await queryDatabase<{ purpose: string; code: string }>(target, "SELECT purpose, code FROM recovery_codes ORDER BY purpose, code");
    expect(rows).toEqual([
      { purpose: "backup-code", code: "27182818" },
      { purpose: "backup-code", code: "31415926" },
      { purpose: "recovery-code", code: recoveryCode },
    ]);

    const faroeCredential = "faroe-credential-for-the-import-test";
    const server = await startServer({ ...ON_DATA_DIR, ...GENERATED_KEYS, WOLFPAL_ENABLED: "true", FAROE_CREDENTIAL: faroeCredential }, { dataDir: target });
    try {
      const form = (fields: Record<string, string>) => ({ body: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
      const wolfpalTwoFactor = async (code: string) => {
        const first = await call(server.url, "POST", "/wolfpal/auth/login", form({ email: bob.email, password: bob.password }));
        expect(first.body).toMatchObject({ code: "TWO_FACTOR_REQUIRED" });
        return call(server.url, "POST", "/wolfpal/auth/two-factor", form({ token: first.body.token, code }));
      };
      expect((await wolfpalTwoFactor(backupCodes[0]!)).status).toBe(200);
      expect((await wolfpalTwoFactor(backupCodes[0]!)).status).toBe(401);

      const faroe = (method: string, path: string, json?: unknown) => call(server.url, method, `/faroe${path}`, { json, headers: { authorization: faroeCredential } });
      expect((await faroe("GET", `/users/${bobId}/recovery-code`)).body).toEqual({ recovery_code: recoveryCode });
      const reset = await faroe("POST", `/users/${bobId}/reset-2fa`, { recovery_code: recoveryCode });
      expect(reset.status).toBe(200);
      expect(reset.body.recovery_code).not.toBe(recoveryCode);
      expect((await faroe("GET", `/users/${bobId}`)).body.registered_totp).toBe(false);
    } finally {
      await server.stop();
    }
  });
});

/**
 * The export as latchkey wrote it in format 3: alice with a password-reset ticket and a Faroe verification request
 * for a new address, bob with a Faroe password-reset request that has had one wrong code.
 */
async function formatThreeExport(): Promise<{ text: string; ticket: string; verification: { id: string; code: string }; reset: { id: string; code: string } }> {
  const lines = formatThreeLines();
  const sha256 = (value: string) => new Bun.CryptoHasher("sha256").update(value).digest("hex");
  const userId = (email: string): string => lines.find((line) => line.table === "users" && line.row.email === email).row.id;
  const created_at = Date.now();
  const expires_at = created_at + 10 * 60_000;
  const ticket = crypto.randomUUID();
  const verification = { id: "abcdefghijkmnpqrstuvwxyz", code: "ABCD2345" };
  const reset = { id: "zyxwvutsrqpnmkjihgfedcba", code: "WXYZ6789" };
  const added = [
    {
      table: "one_time_codes",
      row: { id: crypto.randomUUID(), user_id: userId(alice.email), purpose: "reset-password", secret_hash: sha256(ticket), data: {}, attempts: 0, expires_at, created_at },
    },
    {
      table: "email_verification_requests",
      row: { id: verification.id, user_id: userId(alice.email), email: "alice-new@example.com", code: verification.code, attempts: 0, created_at, expires_at },
    },
    {
      table: "password_reset_requests",
      row: {
        id: reset.id,
        user_id: userId(bob.email),
        code_hash: await Bun.password.hash(reset.code, { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 }),
        email_verified: false,
        two_factor_verified: false,
        attempts: 1,
        created_at,
        expires_at,
      },
    },
  ];
  const ordered = [...lines.slice(1, -1), ...added].toSorted((a, b) => FORMAT_3_TABLES.indexOf(a.table) - FORMAT_3_TABLES.indexOf(b.table));
  const end = { ...lines.at(-1).end, one_time_codes: 1, email_verification_requests: 1, password_reset_requests: 1 };
  const text = [lines[0], ...ordered, { end }].map((line) => JSON.stringify(line)).join("\n") + "\n";
  return { text, ticket, verification, reset };
}

describe("import of format 5", () => {
  test("a file from before the console's audit log loads, and its accounts sign in", async () => {
    const lines = parseLines(exportText);
    const { audit_log: _audit, ...counts } = lines.at(-1).end;
    const tables = lines[0].tables.filter((table: string) => table !== "audit_log");
    const rows = lines.slice(1, -1).filter((line) => line.table !== "audit_log");
    const text = [{ ...lines[0], latchkey_export: 5, tables }, ...rows, { end: counts }].map((line) => JSON.stringify(line)).join("\n") + "\n";
    const file = join(work, "format-5.jsonl");
    writeFileSync(file, text);
    const target = freshDir("format-5");
    const imported = await runLatchkey(["import", file], onDisk(target), work);
    expect(imported.stderr).toBe("");
    expect(imported.exitCode).toBe(0);
    const server = await startServer({ ...ON_DATA_DIR, ...GENERATED_KEYS }, { dataDir: target });
    try {
      expect((await login(server.url, { email: alice.email, password: alice.password })).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe("import of format 4", () => {
  test("a file from before provider identities and passkeys loads, and its accounts sign in", async () => {
    const lines = parseLines(exportText);
    const { user_identities: _identities, webauthn_credentials: _passkeys, audit_log: _audit, ...counts } = lines.at(-1).end;
    const newer = ["user_identities", "webauthn_credentials", "audit_log"];
    const tables = lines[0].tables.filter((table: string) => !newer.includes(table));
    const rows = lines.slice(1, -1).filter((line) => !newer.includes(line.table));
    const text = [{ ...lines[0], latchkey_export: 4, tables }, ...rows, { end: counts }].map((line) => JSON.stringify(line)).join("\n") + "\n";
    const file = join(work, "format-4.jsonl");
    writeFileSync(file, text);
    const target = freshDir("format-4");
    const imported = await runLatchkey(["import", file], onDisk(target), work);
    expect(imported.stderr).toBe("");
    expect(imported.exitCode).toBe(0);
    const server = await startServer({ ...ON_DATA_DIR, ...GENERATED_KEYS }, { dataDir: target });
    try {
      expect((await login(server.url, { email: alice.email, password: alice.password })).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe("import of format 3", () => {
  test("tickets and Faroe's requests move into challenges; each still works on the new database", async () => {
    const { text, ticket, verification, reset } = await formatThreeExport();
    const file = join(work, "format-3.jsonl");
    writeFileSync(file, text);
    const target = freshDir("format-3");
    const imported = await runLatchkey(["import", file], onDisk(target), work);
    expect(imported.stderr).toBe("");
    expect(imported.exitCode).toBe(0);
    expect(imported.stdout).toContain("challenges: 3\n");
    const purposes = await queryDatabase<{ purpose: string }>(target, "SELECT purpose FROM challenges ORDER BY purpose");
    expect(purposes.map((row) => row.purpose)).toEqual(["email-verification", "password-reset-request", "reset-password"]);

    const faroeCredential = "faroe-credential-for-the-import-test";
    const server = await startServer({ ...ON_DATA_DIR, ...GENERATED_KEYS, LOST_PASSWORD_ENABLED: "true", FAROE_CREDENTIAL: faroeCredential }, { dataDir: target });
    try {
      const changed = await call(server.url, "POST", "/auth/change-password/change", { json: { ticket, new_password: "alice-reset-password" } });
      expect(changed.status).toBe(204);
      expect((await login(server.url, { email: alice.email, password: "alice-reset-password" })).status).toBe(200);

      const faroe = (method: string, path: string, json?: unknown) => call(server.url, method, `/faroe${path}`, { json, headers: { authorization: faroeCredential } });
      const aliceId = (await login(server.url, { email: alice.email, password: "alice-reset-password" })).body.user.id;
      const shown = await faroe("GET", `/users/${aliceId}/email-verification/${verification.id}`);
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({ id: verification.id, email: "alice-new@example.com", code: verification.code });
      const verified = await faroe("POST", `/users/${aliceId}/verify-email`, { request_id: verification.id, code: verification.code });
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({ id: aliceId, email: "alice-new@example.com", email_verified: true });

      expect((await faroe("POST", `/password-reset/${reset.id}/verify-email`, { code: reset.code.toLowerCase() })).status).toBe(204);
      expect((await faroe("GET", `/password-reset/${reset.id}`)).body).toMatchObject({ id: reset.id, email_verified: true });
    } finally {
      await server.stop();
    }
  });
});

describe("import over an instance's first start", () => {
  test("keys generated by an instance started on the new database are replaced by the export's", async () => {
    const target = freshDir("started");
    // lncrawl off (the default): its first start would create an `admin` account, and import needs a database without accounts.
    const early = await startServer(onDisk(target), { dataDir: target });
    await early.stop();
    const [own] = await queryDatabase<{ value: string }>(target, "SELECT value FROM generated_secrets WHERE name = 'jwt-hmac'");
    expect(own?.value).toBeString();

    const imported = await runLatchkey(["import", exportFile], onDisk(target), work);
    expect(imported.stderr).toBe("");
    expect(imported.exitCode).toBe(0);
    const exported = parseLines(exportText).find((line) => line.table === "generated_secrets" && line.row.name === "jwt-hmac");
    const [now] = await queryDatabase<{ value: string }>(target, "SELECT value FROM generated_secrets WHERE name = 'jwt-hmac'");
    expect(now?.value).toBe(exported.row.value);
    expect(now?.value).not.toBe(own!.value);
  });
});

describe("import refuses files it cannot load, and writes nothing", () => {
  const lines = () => exportText.trimEnd().split("\n");
  const header = () => JSON.parse(lines()[0]!);
  const withLines = (edit: (all: string[]) => string[]) => `${edit(lines()).join("\n")}\n`;

  test.each([
    ["a file without the header", () => withLines((all) => all.slice(1)), "is not a latchkey export", { database: false }],
    ["an empty file", () => "", "is not a latchkey export", { database: false }],
    ["a header from a newer format", () => withLines((all) => [JSON.stringify({ ...header(), latchkey_export: 7 }), ...all.slice(1)]), "import it with a newer latchkey", { database: false }],
    [
      "an unknown table",
      () => withLines((all) => [JSON.stringify({ ...header(), tables: [...TABLES, "gadgets"] }), ...all.slice(1, -1), '{"table":"gadgets","row":{"id":"g"}}', all.at(-1)!]),
      "tables this latchkey does not import: gadgets",
      { database: false },
    ],
    [
      // In a late table, so the rows before it were inserted and must be rolled back.
      "an unknown column",
      () => withLines((all) => all.map((line) => (line.startsWith('{"table":"files"') ? line.replace('"row":{', '"row":{"colour":"blue",') : line))),
      "files has no columns colour",
      { database: true },
    ],
    ["a file cut short (no end line)", () => withLines((all) => all.slice(0, -1)), "incomplete", { database: true }],
    ["an end line that disagrees", () => withLines((all) => [...all.slice(0, -1), all.at(-1)!.replace('"users":3', '"users":4')]), "the end line says 4 rows", { database: true }],
  ])("%s", async (_name, content, message, expected) => {
    const target = freshDir("refused");
    const file = join(work, `bad-${crypto.randomUUID()}.jsonl`);
    writeFileSync(file, content());
    const imported = await runLatchkey(["import", file], onDisk(target), work);
    expect(imported.stderr).toContain(message);
    expect(imported.exitCode).toBe(2);
    expect(existsSync(join(target, "latchkey.db"))).toBe(expected.database);
    if (expected.database) expect(await queryDatabase(target, "SELECT id FROM users")).toEqual([]);
  });

  test("a missing file", async () => {
    const imported = await runLatchkey(["import", join(work, "missing.jsonl")], onDisk(freshDir("missing")), work);
    expect(imported.exitCode).toBe(2);
    expect(imported.stderr).toContain("no such file");
  });
});

/**
 * An export of many users with three roles each: more rows than an INSERT batch (500) and an export page (1000), and
 * page edges that fall inside one user's roles (the two-column key of user_roles).
 */
function bigExport(): string {
  const lines = parseLines(exportText);
  const template = lines.find((line) => line.table === "users" && line.row.email === alice.email).row;
  const users = Array.from({ length: 2501 }, (_, index) => ({
    ...template,
    id: crypto.randomUUID(),
    email: `user${index}@example.com`,
    metadata: { index, nested: { ok: true } },
  }));
  const roles = users.flatMap((user) => ["editor", "user", "viewer"].map((role) => ({ user_id: user.id, role })));
  const rows = [...users.map((row) => ({ table: "users", row })), ...roles.map((row) => ({ table: "user_roles", row }))];
  const end = { end: Object.fromEntries(TABLES.map((table) => [table, 0])) };
  Object.assign(end.end, { users: users.length, user_roles: roles.length });
  return [lines[0], ...rows, end].map((line) => JSON.stringify(line)).join("\n") + "\n";
}

async function roundTrip(env: Record<string, string>): Promise<void> {
  const file = join(work, `big-${crypto.randomUUID()}.jsonl`);
  const text = bigExport();
  writeFileSync(file, text);
  const imported = await runLatchkey(["import", file], env, work);
  expect(imported.stdout).toContain("users: 2501\nuser_roles: 7503\n");
  expect(imported.exitCode).toBe(0);
  const exported = await runLatchkey(["export"], env, work);
  expect(exported.exitCode).toBe(0);
  expect(sortedLines(exported.stdout)).toEqual(sortedLines(text));
}

test("many rows: imported in batches and exported in pages, nothing lost or repeated (SQLite)", async () => {
  await roundTrip(onDisk(freshDir("big")));
});

describe("import into PostgreSQL", () => {
  let postgres: TestPostgres;
  beforeAll(async () => {
    postgres = await startPostgres();
  }, 120_000); // the first run on a machine without PostgreSQL installs it
  afterAll(() => postgres?.stop());

  test("many rows: imported in batches and exported in pages, nothing lost or repeated", async () => {
    await roundTrip({ DATA_DIR: freshDir("big-postgres"), DATABASE_URL: await postgres.database(), STORAGE_URL: "" });
  });

  test("password sign-in, refresh, TOTP and file records work; exported again, it gives the same rows", async () => {
    const url = await postgres.database();
    const dataDir = freshDir("postgres");
    const env = { DATA_DIR: dataDir, DATABASE_URL: url, STORAGE_URL: "" };
    const imported = await runLatchkey(["import", exportFile], env, work);
    expect(imported.stderr).toBe("");
    expect(imported.exitCode).toBe(0);
    expect(imported.stdout).toContain("users: 3\n");

    // Back out of PostgreSQL before anyone signs in: the same rows, value for value (types included).
    const again = await runLatchkey(["export"], env, work);
    expect(again.exitCode).toBe(0);
    expect(sortedLines(again.stdout)).toEqual(sortedLines(exportText));

    const server = await startServer({ DATABASE_URL: url, STORAGE_URL: "", ...GENERATED_KEYS }, { dataDir });
    try {
      await checkMoved(server.url, { fileBytes: false });
    } finally {
      await server.stop();
    }
  });
});
