// `latchkey user create|show|set-password|roles|sessions|mfa-reset` and `--json`, through the CLI on the data
// directory (or DATABASE_URL) of a running server, which honours each change at once; and the refusal to make a
// database where there is none.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ON_DATA_DIR, TEST_BACKEND } from "./support/backend.ts";
import { call, decodeJwtPayload } from "./support/http.ts";
import { runLatchkey, startServer, TEST_JWT_KEY, type TestServer } from "./support/server.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

const SETTINGS = { ALLOWED_USER_ROLES: "user,editor", MIN_PASSWORD_LENGTH: "10" };
const NS = "https://hasura.io/jwt/claims";

let server: TestServer;
const scratch = mkdtempSync(join(tmpdir(), "latchkey-cli-users-"));
beforeAll(async () => {
  server = await startServer(SETTINGS);
});
afterAll(async () => {
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const user = (args: string[], stdin?: string) =>
  runLatchkey(["user", ...args], { DATA_DIR: server.dataDir, JWT_KEY: TEST_JWT_KEY, ...SETTINGS }, server.dataDir, {
    stdin: stdin === undefined ? undefined : new Blob([stdin]),
  });
const login = (email: string, password: string, headers: Record<string, string> = {}) =>
  call(server.url, "POST", "/auth/login", { json: { email, password, cookie: false }, headers });
const register = (email: string, password: string) => call(server.url, "POST", "/auth/register", { json: { email, password, cookie: false } });
const unique = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}@example.com`;

describe("no database, no command", () => {
  test("user commands in a folder without a database refuse, and create nothing", async () => {
    const empty = mkdtempSync(join(scratch, "empty-"));
    const result = await runLatchkey(["user", "list"], { DATA_DIR: empty }, empty);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`no latchkey database in ${TEST_BACKEND === "sqlite-disk" ? empty : "postgres://"}`);
    expect(existsSync(join(empty, "latchkey.db"))).toBe(false);

    const missing = join(empty, "not-here");
    const flagged = await runLatchkey(["--data-dir", missing, "user", "show", "a@example.com"], {}, empty);
    expect(flagged.exitCode).toBe(1);
    expect(flagged.stderr).toContain("no latchkey database in");
    expect(existsSync(missing)).toBe(false);
  });

  test("a database file without latchkey's tables is refused too, and gets none", async () => {
    const dir = mkdtempSync(join(scratch, "foreign-"));
    writeFileSync(join(dir, "latchkey.db"), "");
    const result = await runLatchkey(["user", "list"], { DATA_DIR: dir, ...ON_DATA_DIR }, dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`no latchkey database in ${dir} (it has no latchkey tables`);
    const db = new Database(join(dir, "latchkey.db"));
    expect(db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([]);
    db.close();
  });

  test("bad usage exits 2 and says what is wrong", async () => {
    const noValue = await runLatchkey(["user", "list", "--data-dir"], { DATA_DIR: server.dataDir }, server.dataDir);
    expect(noValue.exitCode).toBe(2);
    expect(noValue.stderr).toContain("--data-dir needs a folder");
    const unknownOption = await user(["list", "--bogus"]);
    expect(unknownOption.exitCode).toBe(2);
    expect(unknownOption.stderr).toContain("unknown option --bogus");
    const missing = await user(["show"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("latchkey user show <account>");
  });

  test("--data-dir wins over DATA_DIR", async () => {
    const real = mkdtempSync(join(scratch, "real-"));
    const decoy = mkdtempSync(join(scratch, "decoy-"));
    expect((await runLatchkey(["migrate"], { DATA_DIR: real, ...ON_DATA_DIR }, real)).exitCode).toBe(0);
    const created = await runLatchkey(["user", "create", "flag@example.com", "--no-password", "--data-dir", real], { DATA_DIR: decoy, ...ON_DATA_DIR }, real);
    expect(created.exitCode).toBe(0);
    const listed = await runLatchkey(["--data-dir=" + real, "user", "list", "--json"], { DATA_DIR: decoy, ...ON_DATA_DIR }, real);
    expect(listed.exitCode).toBe(0);
    expect(JSON.parse(listed.stdout).map((account: { email: string }) => account.email)).toEqual(["flag@example.com"]);
    expect(existsSync(join(decoy, "latchkey.db"))).toBe(false);
  });
});

describe("user create", () => {
  test("--password-stdin and --role: the account signs in with that password and carries the role", async () => {
    const email = unique("created");
    const result = await user(["create", email, "--password-stdin", "--role", "editor", "--json"], "stdin-password-1\n");
    expect(result.exitCode).toBe(0);
    const created = JSON.parse(result.stdout);
    expect(created).toMatchObject({ email, state: "active", defaultRole: "user", roles: ["editor", "user"] });
    expect(created.password).toBeUndefined();
    const res = await login(email, "stdin-password-1");
    expect(res.status).toBe(200);
    expect(decodeJwtPayload(res.body.jwt_token)[NS]["x-hasura-allowed-roles"].toSorted()).toEqual(["editor", "user"]);
  });

  test("without a password option a password is generated, printed once, and works", async () => {
    const email = unique("generated");
    const result = await user(["create", email, "--json"]);
    expect(result.exitCode).toBe(0);
    const { password } = JSON.parse(result.stdout);
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect((await login(email, password)).status).toBe(200);
    const text = await user(["create", unique("generated-text")]);
    expect(text.stdout).toMatch(/password: [A-Za-z0-9]{20}\n/);
  });

  test("--no-password makes a password-less account", async () => {
    const email = unique("passwordless");
    expect((await user(["create", email, "--no-password"])).exitCode).toBe(0);
    const shown = JSON.parse((await user(["show", email, "--json"])).stdout);
    expect(shown.hasPassword).toBe(false);
  });

  test("the registration policy applies: short password, unknown role, taken address", async () => {
    const short = await user(["create", unique("short"), "--password-stdin"], "short-pw");
    expect(short.exitCode).toBe(1);
    expect(short.stderr).toContain("MIN_PASSWORD_LENGTH is 10");
    const role = await user(["create", unique("role"), "--role", "admin"]);
    expect(role.exitCode).toBe(1);
    expect(role.stderr).toContain('role "admin" is not one of ALLOWED_USER_ROLES');
    const email = unique("taken");
    expect((await user(["create", email, "--no-password"])).exitCode).toBe(0);
    const taken = await user(["create", email, "--no-password"]);
    expect(taken.exitCode).toBe(1);
    expect(taken.stderr).toContain("exists already");
    expect((await user(["create", "not-an-address"])).exitCode).toBe(2);
  });
});

test("show and list --json describe the account; unknown accounts are errors", async () => {
  const email = unique("shown");
  const registered = await register(email, "show-password-1");
  const shown = await user(["show", email.toUpperCase(), "--json"]);
  expect(shown.exitCode).toBe(0);
  expect(JSON.parse(shown.stdout)).toMatchObject({
    id: registered.body.user.id,
    email,
    state: "active",
    roles: ["user"],
    hasPassword: true,
    mfa: false,
    sessions: 1,
  });
  expect(shown.stdout).not.toContain("argon2");
  const text = await user(["show", registered.body.user.id]);
  expect(text.stdout).toMatch(/live sessions\s+1/);
  const listed = JSON.parse((await user(["list", "--json"])).stdout) as { email: string }[];
  expect(listed.some((account) => account.email === email)).toBe(true);
  const unknown = await user(["show", "nobody@example.com"]);
  expect(unknown.exitCode).toBe(1);
  expect(unknown.stderr).toContain('no account "nobody@example.com"');
});

test("set-password: the new password signs in, the old one and every old session are refused", async () => {
  const email = unique("reset");
  const registered = await register(email, "old-password-1");
  const oldRefresh = registered.body.refresh_token;
  const withoutStdin = await user(["set-password", email]);
  expect(withoutStdin.exitCode).toBe(2);
  const tooShort = await user(["set-password", email, "--password-stdin"], "short\n");
  expect(tooShort.exitCode).toBe(1);
  expect((await login(email, "old-password-1")).status).toBe(200);

  const result = await user(["set-password", email, "--password-stdin"], "new-password-1\n");
  expect(result.exitCode).toBe(0);
  expect((await login(email, "old-password-1")).status).toBe(401);
  expect((await login(email, "new-password-1")).status).toBe(200);
  expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${oldRefresh}`)).status).toBe(401);
});

test("roles add and remove change the roles of the next tokens; the default role stays", async () => {
  const email = unique("roles");
  await register(email, "roles-password-1");
  expect((await user(["roles", email, "add", "editor"])).exitCode).toBe(0);
  const again = await user(["roles", email, "add", "editor"]);
  expect(again.stdout).toContain("already");
  let res = await login(email, "roles-password-1");
  expect(decodeJwtPayload(res.body.jwt_token)[NS]["x-hasura-allowed-roles"].toSorted()).toEqual(["editor", "user"]);

  expect((await user(["roles", email, "remove", "editor"])).exitCode).toBe(0);
  res = await login(email, "roles-password-1");
  expect(decodeJwtPayload(res.body.jwt_token)[NS]["x-hasura-allowed-roles"]).toEqual(["user"]);

  const defaultRole = await user(["roles", email, "remove", "user"]);
  expect(defaultRole.exitCode).toBe(1);
  expect(defaultRole.stderr).toContain("default role");
  const notAllowed = await user(["roles", email, "add", "superuser"]);
  expect(notAllowed.exitCode).toBe(1);
  expect(notAllowed.stderr).toContain('role "superuser" is not one of ALLOWED_USER_ROLES');
  // The console's role is the operator's to give, whatever ALLOWED_USER_ROLES lists (core/accounts/admin-role.ts).
  const admin = await user(["roles", email, "add", "admin"]);
  expect(admin.exitCode).toBe(0);
  expect(admin.stdout).toContain("now has role admin");
  expect((await user(["roles", email, "toggle", "editor"])).exitCode).toBe(2);
});

test("sessions lists each live session with its client; --revoke-all ends them", async () => {
  const email = unique("sessions");
  await register(email, "sessions-password-1");
  const first = await login(email, "sessions-password-1", { "user-agent": "first-browser/1.0" });
  await login(email, "sessions-password-1", { "user-agent": "second-browser/2.0" });

  const listed = await user(["sessions", email, "--json"]);
  expect(listed.exitCode).toBe(0);
  const sessions = JSON.parse(listed.stdout) as { createdAt: string; lastUsedAt: string; ip: string; userAgent: string | null }[];
  expect(sessions).toHaveLength(3);
  expect(sessions.map((session) => session.userAgent)).toEqual(expect.arrayContaining(["first-browser/1.0", "second-browser/2.0"]));
  for (const session of sessions) {
    expect(session.ip).toContain("127.0.0.1");
    expect(Date.parse(session.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(session.createdAt));
  }
  const text = await user(["sessions", email]);
  expect(text.stdout).toMatch(/^session\s+created\s+last used\s+ip\s+user agent/);
  expect(text.stdout).toContain("second-browser/2.0");

  const revoked = await user(["sessions", email, "--revoke-all"]);
  expect(revoked.exitCode).toBe(0);
  expect(revoked.stdout).toContain("ended 3 session(s)");
  expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${first.body.refresh_token}`)).status).toBe(401);
  expect(JSON.parse((await user(["sessions", email, "--json"])).stdout)).toEqual([]);
});

test("mfa-reset removes TOTP: the password alone signs in again", async () => {
  const email = unique("mfa");
  const registered = await register(email, "mfa-password-1");
  const bearer = { authorization: `Bearer ${registered.body.jwt_token}` };
  const generated = await call(server.url, "POST", "/auth/mfa/generate", { headers: bearer });
  await awayFromStepEdge();
  const enabled = await call(server.url, "POST", "/auth/mfa/enable", { headers: bearer, json: { code: totpCode(generated.body.otp_secret) } });
  expect(enabled.status).toBe(204);
  const challenged = await login(email, "mfa-password-1");
  expect(challenged.body.mfa).toBe(true);
  expect(challenged.body.jwt_token).toBeUndefined();
  expect(JSON.parse((await user(["show", email, "--json"])).stdout).mfa).toBe(true);

  const reset = await user(["mfa-reset", email]);
  expect(reset.exitCode).toBe(0);
  expect(reset.stdout).toContain("removed the two-factor authentication");
  const signedIn = await login(email, "mfa-password-1");
  expect(signedIn.status).toBe(200);
  expect(typeof signedIn.body.jwt_token).toBe("string");
  expect(JSON.parse((await user(["show", email, "--json"])).stdout).mfa).toBe(false);
});
