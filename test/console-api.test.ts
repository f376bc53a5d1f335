// The admin console's JSON API (issue 28, src/apis/console/), black-box over HTTP: who gets in (admins only, the TOTP
// step, CONSOLE_REQUIRE_MFA), the session (its cookie, idle and absolute ends, sign-out), CSRF on every change, 401 and
// 403 on every route of the document, every action with its audit entry, an audit log nothing deletes, the user
// search's pages, security events, overview and settings, CORS closed, and CONSOLE_ENABLED=false.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryDatabase } from "./support/backend.ts";
import { consoleClient, consoleSignIn, type ConsoleClient } from "./support/console.ts";
import { eventually } from "./support/eventually.ts";
import { call, cookieHeader } from "./support/http.ts";
import { waitForOutboxMail } from "./support/outbox.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

const ADMIN_EMAIL = "root@console.example";
const ADMIN_PASSWORD = "console-admin-password-1";
const PASSWORD = "user-password-4711";

let server: TestServer;
let admin: ConsoleClient;

beforeAll(async () => {
  server = await startServer({
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    TRUSTED_PROXIES: "127.0.0.1/8,::1",
    LOST_PASSWORD_ENABLED: "true",
  });
  admin = await consoleSignIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
});
afterAll(() => server.stop());

const unique = (tag: string) => `${tag}-${crypto.randomUUID().slice(0, 8)}@example.com`;

async function register(email: string): Promise<{ id: string; jwt: string; refresh: string }> {
  const res = await call(server.url, "POST", "/auth/register", { json: { email, password: PASSWORD, cookie: false } });
  expect(res.status).toBe(200);
  return { id: res.body.user.id, jwt: res.body.jwt_token, refresh: res.body.refresh_token };
}

const hbpLogin = (email: string, password = PASSWORD, headers: Record<string, string> = {}) =>
  call(server.url, "POST", "/auth/login", { json: { email, password, cookie: false }, headers });

/** Enrols TOTP for an HBP account; its secret. */
async function enrolTotp(jwt: string): Promise<string> {
  const generated = await call(server.url, "POST", "/auth/mfa/generate", { headers: { authorization: `Bearer ${jwt}` } });
  await awayFromStepEdge();
  const enabled = await call(server.url, "POST", "/auth/mfa/enable", {
    headers: { authorization: `Bearer ${jwt}` },
    json: { code: totpCode(generated.body.otp_secret, -1) },
  });
  expect(enabled.status).toBe(204);
  return generated.body.otp_secret;
}

/** A second administrator: registered, given the admin role by the first. */
async function newAdmin(): Promise<{ email: string; id: string; jwt: string }> {
  const email = unique("admin");
  const { id, jwt } = await register(email);
  const roles = await admin.call("PUT", `/users/${id}/roles`, { roles: ["user", "admin"] });
  expect(roles.status).toBe(200);
  return { email, id, jwt };
}

/** The newest audit entries about `target`. */
async function auditOf(target: string): Promise<any[]> {
  const res = await admin.call("GET", `/audit?target=${encodeURIComponent(target)}`);
  expect(res.status).toBe(200);
  return res.body.entries;
}

interface Operation {
  method: string;
  path: string;
  security: Record<string, string[]>[];
}

/** Every operation of /console/api in the OpenAPI document, its path parameters filled with `id`. */
async function consoleOperations(id: string): Promise<Operation[]> {
  const document = await call(server.url, "GET", "/openapi/json");
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.body.paths as Record<string, Record<string, { security?: Record<string, string[]>[] }>>)) {
    if (!path.startsWith("/console/api/")) continue;
    for (const [method, operation] of Object.entries(item)) {
      operations.push({ method: method.toUpperCase(), path: path.replace(/\{[^}]+\}/g, id), security: operation.security ?? [] });
    }
  }
  return operations;
}

const guarded = (operation: Operation) => operation.security.some((requirement) => "consoleSession" in requirement);
const changes = (operation: Operation) => operation.security.some((requirement) => "consoleCsrf" in requirement);

describe("who gets in", () => {
  test("the document lists the console's routes, each guarded one with its credentials (the cookie; for changes the CSRF token too)", async () => {
    const operations = await consoleOperations("x");
    expect(operations.length).toBeGreaterThanOrEqual(18);
    const open = operations.filter((operation) => !guarded(operation)).map((operation) => `${operation.method} ${operation.path}`);
    expect(open.sort()).toEqual([
      "POST /console/api/session",
      "POST /console/api/session/passkey",
      "POST /console/api/session/passkey/verify",
      "POST /console/api/session/totp",
    ]);
    for (const operation of operations.filter(guarded)) expect(changes(operation)).toBe(operation.method !== "GET");
  });

  test("without a session, every guarded route answers 401 in the console's shape, whatever the body", async () => {
    const { id } = await register(unique("probe"));
    const operations = (await consoleOperations(id)).filter(guarded);
    const failures: string[] = [];
    const attempts: Record<string, string>[] = [{}, { cookie: "latchkey_console=not-a-session" }, { cookie: `latchkey_console=${"A".repeat(43)}` }];
    for (const headers of attempts) {
      for (const operation of operations) {
        const res = await call(server.url, operation.method, operation.path, { headers, json: operation.method === "GET" ? undefined : { junk: 1 } });
        if (res.status !== 401 || typeof res.body?.error?.code !== "string") failures.push(`${operation.method} ${operation.path}: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  test("an account without the admin role is refused at sign-in (403 not_an_administrator), and the refusal is audited", async () => {
    const email = unique("plain");
    await register(email);
    const res = await call(server.url, "POST", "/console/api/session", { json: { email, password: PASSWORD } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("not_an_administrator");
    expect(res.cookies).toEqual([]);
    const entries = (await admin.call("GET", "/audit?action=sign_in_failed")).body.entries;
    expect(entries.some((entry: any) => entry.admin_email === email && entry.details.reason === "not_an_administrator" && entry.admin_id === null)).toBe(true);
  });

  test("a session whose account lost the admin role gets 403 on every guarded route, and changes nothing", async () => {
    const second = await newAdmin();
    const session = await consoleSignIn(server.url, second.email, PASSWORD);
    const victim = await register(unique("victim"));
    expect((await admin.call("PUT", `/users/${second.id}/roles`, { roles: ["user"] })).status).toBe(200);
    const failures: string[] = [];
    for (const operation of (await consoleOperations(victim.id)).filter(guarded)) {
      const res = await call(server.url, operation.method, operation.path, { headers: { cookie: session.cookie, "x-csrf-token": session.csrf } });
      if (res.status !== 403 || res.body.error.code !== "not_an_administrator") failures.push(`${operation.method} ${operation.path}: ${res.status}`);
    }
    expect(failures).toEqual([]);
    expect((await hbpLogin(unique("nobody"))).status).toBe(401);
    const still = await admin.call("GET", `/users/${victim.id}`);
    expect(still.body.user.disabled).toBe(false);
  });

  test("a wrong password: 401 invalid_credentials, audited with what was typed; the guess limits apply (429 after 5 from one address)", async () => {
    const from = { "x-forwarded-for": "198.51.100.23, 127.0.0.1" };
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await call(server.url, "POST", "/console/api/session", { json: { email: ADMIN_EMAIL, password: "wrong-password-0815" }, headers: from });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("invalid_credentials");
    }
    const limited = await call(server.url, "POST", "/console/api/session", { json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, headers: from });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const failed = (await admin.call("GET", "/audit?action=sign_in_failed")).body.entries.filter((entry: any) => entry.ip === "198.51.100.23");
    expect(failed.length).toBe(5);
    expect(failed[0]).toMatchObject({ admin_email: ADMIN_EMAIL, details: { reason: "invalid_credentials" } });
    // The same refusals are security events, by address (stored just after the answer: waited for).
    const events = await eventually(
      async () => {
        const found = (await admin.call("GET", "/security-events?ip=198.51.100.23")).body.events;
        return found.length === 6 && found;
      },
      { what: "six security events from 198.51.100.23" },
    );
    expect(events.map((event: any) => event.event)).toContain("locked_out");
    expect(events.filter((event: any) => event.event === "sign_in_failed").length).toBe(5);
  });

  test("an administrator with TOTP: the password answers a ticket and no cookie; a wrong code 401; the right one signs in, audited as totp", async () => {
    const second = await newAdmin();
    const secret = await enrolTotp(second.jwt);
    const first = await call(server.url, "POST", "/console/api/session", { json: { email: second.email, password: PASSWORD } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: "second_factor", ticket: expect.any(String), methods: ["totp"] });
    expect(first.cookies).toEqual([]);
    const right = totpCode(secret);
    const wrong = await call(server.url, "POST", "/console/api/session/totp", { json: { ticket: first.body.ticket, code: right === "000000" ? "111111" : "000000" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_totp_code");
    const signedIn = await call(server.url, "POST", "/console/api/session/totp", { json: { ticket: first.body.ticket, code: right } });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.session).toMatchObject({ admin: { id: second.id, email: second.email }, second_factor: "totp", idle_timeout_seconds: 1800 });
    const session = consoleClient(server.url, cookieHeader(signedIn.cookies), signedIn.body.session.csrf_token);
    expect((await session.call("GET", "/overview")).status).toBe(200);
    const entries = await auditOf(`console_session:${(await queryDatabase<{ id: string }>(server.dataDir, "SELECT id FROM console_sessions WHERE user_id = ?", [second.id]))[0]!.id}`);
    expect(entries[0]).toMatchObject({ action: "sign_in", admin_id: second.id, details: { second_factor: "totp" } });
    // The ticket is spent.
    const again = await call(server.url, "POST", "/console/api/session/totp", { json: { ticket: first.body.ticket, code: right } });
    expect(again.status).toBe(401);
  });
});

describe("the session", () => {
  test("its cookie: HttpOnly, SameSite=Strict, Path=/console, 8 hours, not Secure over http; GET /session gives the CSRF token again", async () => {
    const res = await call(server.url, "POST", "/console/api/session", { json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    expect(res.status).toBe(200);
    const [cookie] = res.cookies;
    expect(cookie).toMatch(/^latchkey_console=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain("; Path=/console");
    expect(cookie).toContain("; HttpOnly");
    expect(cookie).toContain("; SameSite=Strict");
    expect(cookie).toContain("; Max-Age=28800");
    expect(cookie).not.toContain("Secure");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const again = await call(server.url, "GET", "/console/api/session", { headers: { cookie: cookieHeader(res.cookies) } });
    expect(again.body.session.csrf_token).toBe(res.body.session.csrf_token);
    expect(res.body.session.expires_at - Date.now()).toBeGreaterThan(8 * 3600_000 - 60_000);
  });

  test("an HBP access token or refresh cookie is no console session, and a console cookie is no HBP session", async () => {
    const email = unique("kinds");
    const { jwt, refresh } = await register(email);
    expect((await call(server.url, "GET", "/console/api/overview", { headers: { authorization: `Bearer ${jwt}` } })).status).toBe(401);
    expect((await call(server.url, "GET", "/console/api/overview", { headers: { cookie: `latchkey_console=${refresh}` } })).status).toBe(401);
    expect((await call(server.url, "POST", "/auth/mfa/generate", { headers: { cookie: admin.cookie } })).status).toBe(401);
    expect((await call(server.url, "POST", "/auth/token/refresh", { headers: { cookie: admin.cookie }, json: {} })).status).toBe(401);
  });

  test("unused for CONSOLE_SESSION_IDLE_MINUTES it is over (401, and its row is gone); past 8 hours likewise", async () => {
    const idle = await consoleSignIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const aged = await consoleSignIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const ids = await queryDatabase<{ id: string }>(server.dataDir, "SELECT id FROM console_sessions ORDER BY created_at DESC LIMIT 2");
    const [agedId, idleId] = ids.map((row) => row.id);
    // 29 minutes unused: still live, and the request restarts its idle time.
    await queryDatabase(server.dataDir, "UPDATE console_sessions SET last_seen_at = ? WHERE id = ?", [Date.now() - 29 * 60_000, idleId!]);
    expect((await idle.call("GET", "/overview")).status).toBe(200);
    await queryDatabase(server.dataDir, "UPDATE console_sessions SET last_seen_at = ? WHERE id = ?", [Date.now() - 31 * 60_000, idleId!]);
    const over = await idle.call("GET", "/overview");
    expect(over.status).toBe(401);
    expect(over.body.error.code).toBe("invalid_console_session");
    expect(await queryDatabase(server.dataDir, "SELECT id FROM console_sessions WHERE id = ?", [idleId!])).toEqual([]);
    await queryDatabase(server.dataDir, "UPDATE console_sessions SET expires_at = ? WHERE id = ?", [Date.now() - 1, agedId!]);
    expect((await aged.call("GET", "/overview")).status).toBe(401);
  });

  test("sign-out ends the session, clears the cookie and is audited", async () => {
    const session = await consoleSignIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const out = await session.call("DELETE", "/session");
    expect(out.status).toBe(204);
    expect(out.cookies[0]).toMatch(/^latchkey_console=; .*Max-Age=0/);
    expect((await session.call("GET", "/session")).status).toBe(401);
    const entries = (await admin.call("GET", "/audit?action=sign_out")).body.entries;
    expect(entries[0]).toMatchObject({ action: "sign_out", admin_email: ADMIN_EMAIL });
  });

  test("a disabled administrator's session gets 403 account_disabled", async () => {
    const second = await newAdmin();
    const session = await consoleSignIn(server.url, second.email, PASSWORD);
    expect((await admin.call("POST", `/users/${second.id}/disable`)).status).toBe(200);
    const res = await session.call("GET", "/overview");
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("account_disabled");
  });
});

describe("CSRF", () => {
  test("every route that changes something refuses a request without the session's X-CSRF-Token (403), or with another's, and changes nothing", async () => {
    const victim = await register(unique("csrf"));
    const other = await consoleSignIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
    const failures: string[] = [];
    for (const operation of (await consoleOperations(victim.id)).filter(changes)) {
      const attempts: Record<string, string>[] = [{ cookie: admin.cookie }, { cookie: admin.cookie, "x-csrf-token": other.csrf }, { cookie: admin.cookie, "x-csrf-token": "" }];
      for (const headers of attempts) {
        const res = await call(server.url, operation.method, operation.path, { headers, json: { roles: ["user", "admin"], email: unique("csrf-made") } });
        if (res.status !== 403 || res.body.error.code !== "csrf_token_invalid") failures.push(`${operation.method} ${operation.path}: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    const still = await admin.call("GET", `/users/${victim.id}`);
    expect(still.status).toBe(200);
    expect(still.body.user).toMatchObject({ disabled: false, roles: ["user"] });
    expect((await admin.call("GET", "/session")).status).toBe(200);
  });

  test("no other origin is answered: CORS headers never come with /console, while /auth's do", async () => {
    const origin = { origin: "https://app.example.com" };
    const consoleAnswer = await call(server.url, "GET", "/console/api/session", { headers: { ...origin, cookie: admin.cookie } });
    expect(consoleAnswer.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${server.url}/console/api/users`, { method: "OPTIONS", headers: { ...origin, "access-control-request-method": "POST" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    const auth = await call(server.url, "GET", "/auth/jwks", { headers: origin });
    expect(auth.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  });
});

describe("every action, and its audit entry", () => {
  test("create an account (with a password and an extra role): it signs in through HBP", async () => {
    const email = unique("created");
    const res = await admin.call("POST", "/users", { email, password: PASSWORD, roles: ["admin"] });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ email, active: true, disabled: false, roles: ["admin", "user"], default_role: "user" });
    expect((await hbpLogin(email)).status).toBe(200);
    const [entry] = await auditOf(`user:${res.body.user.id}`);
    expect(entry).toMatchObject({ action: "user_created", admin_email: ADMIN_EMAIL, details: { email, roles: ["admin", "user"], password: true }, ip: "127.0.0.1" });
    expect(JSON.stringify(entry)).not.toContain(PASSWORD);
    const taken = await admin.call("POST", "/users", { email, password: PASSWORD });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("email_taken");
    const short = await admin.call("POST", "/users", { email: unique("short"), password: "abc" });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe("password_too_short");
  });

  test("disable: the user's sign-in is refused and their sessions end; enable lifts it", async () => {
    const email = unique("disable");
    const { id, refresh } = await register(email);
    const disabled = await admin.call("POST", `/users/${id}/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.body.user.disabled).toBe(true);
    const refused = await hbpLogin(email);
    expect(refused.status).toBe(401);
    expect(refused.body.message).toBe("Account is disabled.");
    expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${refresh}`)).status).toBe(401);
    const enabled = await admin.call("POST", `/users/${id}/enable`);
    expect(enabled.body.user.disabled).toBe(false);
    expect((await hbpLogin(email)).status).toBe(200);
    const actions = (await auditOf(`user:${id}`)).map((entry) => entry.action);
    expect(actions.slice(0, 2)).toEqual(["user_enabled", "user_disabled"]);
  });

  test("the user page: sessions, second factors, tokens, what it owns; revoke one session, then all", async () => {
    const email = unique("sessions");
    const { id, jwt } = await register(email);
    const second = await hbpLogin(email, PASSWORD, { "user-agent": "second-browser/2.0" });
    await enrolTotp(jwt);
    const page = await admin.call("GET", `/users/${id}`);
    expect(page.status).toBe(200);
    expect(page.body.sessions.length).toBe(2);
    expect(page.body.second_factors).toEqual({ totp: true, backup_codes: 0, recovery_codes: 0 });
    expect(page.body.owns).toMatchObject({ sessions: 2, files: 0, api_tokens: 0, passkeys: 0, identities: 0, second_factors: 1 });
    expect(page.body.user).toMatchObject({ email, password: true, email_verified: false });
    expect(JSON.stringify(page.body)).not.toMatch(/token_hash|password_hash|secret/);
    const secondSession = page.body.sessions.find((session: any) => session.user_agent === "second-browser/2.0");
    expect(secondSession).toBeDefined();

    expect((await admin.call("DELETE", `/users/${id}/sessions/${secondSession.id}`)).status).toBe(204);
    expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${second.body.refresh_token}`)).status).toBe(401);
    expect((await admin.call("DELETE", `/users/${id}/sessions/${secondSession.id}`)).body.error.code).toBe("session_not_found");
    const all = await admin.call("DELETE", `/users/${id}/sessions`);
    expect(all.body).toEqual({ revoked: 1 });
    expect((await admin.call("GET", `/users/${id}`)).body.sessions).toEqual([]);
    const entries = await auditOf(`user:${id}`);
    expect(entries[0]).toMatchObject({ action: "sessions_revoked", details: { count: 1 } });
    expect(entries[1]).toMatchObject({ action: "session_revoked", details: { session: secondSession.id } });
  });

  test("remove the second factor: the password alone signs in again", async () => {
    const email = unique("mfa");
    const { id, jwt } = await register(email);
    await enrolTotp(jwt);
    expect((await hbpLogin(email)).body.mfa).toBe(true);
    const removed = await admin.call("DELETE", `/users/${id}/second-factors`);
    expect(removed.body).toEqual({ had_totp: true });
    expect((await hbpLogin(email)).body.jwt_token).toBeString();
    expect((await auditOf(`user:${id}`))[0]).toMatchObject({ action: "second_factor_removed", details: { had_totp: true } });
  });

  test("the page lists passkeys and identities; remove a passkey (never the account's last way to sign in)", async () => {
    const { id } = await register(unique("passkeys"));
    const insertPasskey = (credential: string) =>
      queryDatabase(
        server.dataDir,
        "INSERT INTO webauthn_credentials (id, user_id, public_key, counter, transports, device_type, backed_up, nickname, created_at) VALUES (?, ?, 'pk', 0, '[\"internal\"]', 'multiDevice', ?, ?, ?)",
        [credential, id, true, `key ${credential}`, Date.now()],
      );
    await insertPasskey("cred-one");
    await insertPasskey("cred-two");
    await queryDatabase(
      server.dataDir,
      "INSERT INTO user_identities (id, user_id, provider, subject, email, created_at) VALUES (?, ?, 'github', '4711', 'gh@example.com', ?)",
      [crypto.randomUUID(), id, Date.now()],
    );
    const page = await admin.call("GET", `/users/${id}`);
    expect(page.body.passkeys.map((key: any) => key.nickname)).toEqual(["key cred-one", "key cred-two"]);
    expect(page.body.passkeys[0]).toMatchObject({ device_type: "multiDevice", backed_up: true, transports: ["internal"] });
    expect(page.body.identities).toEqual([expect.objectContaining({ provider: "github", subject: "4711", email: "gh@example.com" })]);
    expect(page.body.owns).toMatchObject({ passkeys: 2, identities: 1 });
    expect(JSON.stringify(page.body)).not.toContain('"pk"');

    expect((await admin.call("DELETE", `/users/${id}/passkeys/cred-one`)).status).toBe(204);
    expect((await admin.call("DELETE", `/users/${id}/passkeys/cred-one`)).body.error.code).toBe("passkey_not_found");
    expect((await auditOf(`user:${id}`))[0]).toMatchObject({ action: "passkey_removed", details: { passkey: "cred-one" } });
    // Without a password or identity, the last passkey stays.
    const passwordless = await register(unique("last-key"));
    await queryDatabase(server.dataDir, "UPDATE users SET password_hash = NULL WHERE id = ?", [passwordless.id]);
    await queryDatabase(
      server.dataDir,
      "INSERT INTO webauthn_credentials (id, user_id, public_key, counter, transports, device_type, backed_up, created_at) VALUES ('cred-last', ?, 'pk', 0, '[]', 'singleDevice', ?, ?)",
      [passwordless.id, false, Date.now()],
    );
    const last = await admin.call("DELETE", `/users/${passwordless.id}/passkeys/cred-last`);
    expect(last.status).toBe(409);
    expect(last.body.error.code).toBe("last_sign_in_method");
  });

  test("send a password-reset mail and an activation mail through the mail queue", async () => {
    const email = unique("mails");
    const { id } = await register(email);
    expect((await admin.call("POST", `/users/${id}/password-reset-mail`)).status).toBe(204);
    const reset = await waitForOutboxMail(server.dataDir, email);
    expect(reset.headers.get("x-ticket")).toMatch(/^[0-9a-f-]{36}$/);
    const active = await admin.call("POST", `/users/${id}/activation-mail`);
    expect(active.status).toBe(409);
    expect(active.body.error.code).toBe("account_already_active");
    await queryDatabase(server.dataDir, "UPDATE users SET active = ? WHERE id = ?", [false, id]);
    expect((await admin.call("POST", `/users/${id}/activation-mail`)).status).toBe(204);
    const activation = await waitForOutboxMail(server.dataDir, email);
    expect(activation.text).toContain("/auth/activate?ticket=");
    const actions = (await auditOf(`user:${id}`)).map((entry) => entry.action);
    expect(actions.slice(0, 2)).toEqual(["activation_sent", "password_reset_sent"]);
  });

  test("set roles: added and removed, the default role kept, an unknown role refused with nothing changed", async () => {
    const { id, jwt } = await register(unique("roles"));
    const refused = await admin.call("PUT", `/users/${id}/roles`, { roles: ["user", "admin", "superuser"] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("role_not_allowed");
    expect((await admin.call("GET", `/users/${id}`)).body.user.roles).toEqual(["user"]);
    const noDefault = await admin.call("PUT", `/users/${id}/roles`, { roles: ["admin"] });
    expect(noDefault.body.error.code).toBe("default_role_not_allowed");
    const set = await admin.call("PUT", `/users/${id}/roles`, { roles: ["user", "admin"] });
    expect(set.body.user.roles).toEqual(["admin", "user"]);
    expect((await auditOf(`user:${id}`))[0]).toMatchObject({ action: "roles_set", details: { added: ["admin"], removed: [] } });
    expect(jwt).toBeString();
  });

  test("delete: the answer says what went with it; the account is gone; the audit entry stays", async () => {
    const email = unique("delete");
    const { id } = await register(email);
    await hbpLogin(email);
    const deleted = await admin.call("DELETE", `/users/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.deleted).toMatchObject({ sessions: 2, files: 0, api_tokens: 0, second_factors: 0 });
    expect((await admin.call("GET", `/users/${id}`)).status).toBe(404);
    expect((await hbpLogin(email)).status).toBe(401);
    expect((await auditOf(`user:${id}`))[0]).toMatchObject({ action: "user_deleted", details: { email, deleted: { sessions: 2 } } });
    expect((await admin.call("DELETE", `/users/${id}`)).body.error.code).toBe("user_not_found");
  });
});

describe("the audit log", () => {
  test("cannot be deleted or changed: no route does it, and the database refuses it", async () => {
    const before = (await admin.call("GET", "/audit?limit=200")).body.entries.length;
    expect(before).toBeGreaterThan(0);
    const operations = await consoleOperations("x");
    expect(operations.filter((operation) => operation.path.startsWith("/console/api/audit") && operation.method !== "GET")).toEqual([]);
    for (const method of ["DELETE", "PUT", "PATCH", "POST"]) {
      expect((await admin.call(method, "/audit")).status).toBe(404);
    }
    const [entry] = (await admin.call("GET", "/audit?limit=1")).body.entries;
    expect((await admin.call("DELETE", `/audit/${entry.id}`)).status).toBe(404);
    await expect(queryDatabase(server.dataDir, "DELETE FROM audit_log")).rejects.toThrow(/append-only/);
    await expect(queryDatabase(server.dataDir, "UPDATE audit_log SET action = 'x'")).rejects.toThrow(/append-only/);
    expect((await admin.call("GET", "/audit?limit=200")).body.entries.length).toBeGreaterThanOrEqual(before);
  });

  test("pages newest first with a cursor; filters by administrator and action; a bad cursor is 400", async () => {
    const first = await admin.call("GET", "/audit?limit=2");
    const second = await admin.call("GET", `/audit?limit=2&after=${first.body.next}`);
    expect(first.body.entries.length).toBe(2);
    expect(second.body.entries.length).toBe(2);
    const all = [...first.body.entries, ...second.body.entries];
    expect(new Set(all.map((entry: any) => entry.id)).size).toBe(4);
    for (let index = 1; index < all.length; index++) expect(all[index].at).toBeLessThanOrEqual(all[index - 1].at);
    const me = (await admin.call("GET", "/session")).body.session.admin.id;
    const mine = await admin.call("GET", `/audit?admin=${me}&action=user_created`);
    expect(mine.body.entries.length).toBeGreaterThan(0);
    expect(mine.body.entries.every((entry: any) => entry.admin_id === me && entry.action === "user_created")).toBe(true);
    const bad = await admin.call("GET", "/audit?after=bm90LWEtY3Vyc29y");
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_cursor");
  });
});

describe("user search", () => {
  test("by address prefix, in pages of 3 that neither repeat nor skip; then usernames; by id; by role", async () => {
    const tag = `pg${crypto.randomUUID().slice(0, 6)}`;
    const emails: string[] = [];
    for (let index = 0; index < 7; index++) {
      const email = `${tag}-${index}@example.com`;
      emails.push(email);
      await register(email);
    }
    // Two accounts found by username (their addresses do not start with the prefix), one found both ways (listed once).
    const byName = [await register(unique("named-a")), await register(unique("named-b"))];
    await queryDatabase(server.dataDir, "UPDATE users SET username = ? WHERE id = ?", [`${tag}-user-a`, byName[0]!.id]);
    await queryDatabase(server.dataDir, "UPDATE users SET username = ? WHERE id = ?", [`${tag}-user-b`, byName[1]!.id]);
    const both = await queryDatabase<{ id: string }>(server.dataDir, "SELECT id FROM users WHERE email = ?", [emails[0]!]);
    await queryDatabase(server.dataDir, "UPDATE users SET username = ? WHERE id = ?", [`${tag}-user-0`, both[0]!.id]);

    const seen: string[] = [];
    let after: string | null = null;
    const sizes: number[] = [];
    do {
      const query: string = `/users?q=${tag.toUpperCase()}&limit=3${after ? `&after=${after}` : ""}`;
      const res = await admin.call("GET", query);
      expect(res.status).toBe(200);
      sizes.push(res.body.users.length);
      seen.push(...res.body.users.map((user: any) => user.email));
      after = res.body.next;
    } while (after !== null);
    expect(sizes).toEqual([3, 3, 3]);
    expect(seen.slice(0, 7)).toEqual(emails);
    expect(new Set(seen).size).toBe(9);
    expect(seen.slice(7).sort()).toEqual(await Promise.all(byName.map(async ({ id }) => (await admin.call("GET", `/users/${id}`)).body.user.email)).then((list) => list.sort()));

    const exact = await admin.call("GET", `/users?q=${both[0]!.id.toUpperCase()}`);
    expect(exact.body.users.map((user: any) => user.email)).toEqual([emails[0]]);
    const admins = await admin.call("GET", "/users?role=admin&limit=100");
    expect(admins.body.users.every((user: any) => user.roles.includes("admin"))).toBe(true);
    expect(admins.body.users.some((user: any) => user.email === ADMIN_EMAIL)).toBe(true);
    const adminsByPrefix = await admin.call("GET", `/users?q=${tag}&role=admin`);
    expect(adminsByPrefix.body.users).toEqual([]);
    const none = await admin.call("GET", "/users?q=no-such-prefix-zzz");
    expect(none.body).toEqual({ users: [], next: null });
  });

  test("every account, newest first, paged; a cursor of another search is refused", async () => {
    const newest = await register(unique("newest"));
    const first = await admin.call("GET", "/users?limit=2");
    expect(first.body.users[0].id).toBe(newest.id);
    const second = await admin.call("GET", `/users?limit=2&after=${first.body.next}`);
    expect(second.body.users.length).toBe(2);
    expect(second.body.users[0].created_at).toBeLessThanOrEqual(first.body.users[1].created_at);
    const mixed = await admin.call("GET", `/users?q=abc&after=${first.body.next}`);
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.code).toBe("invalid_cursor");
    const invalid = await admin.call("GET", "/users?limit=1000");
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe("invalid_request");
  });
});

describe("security events, overview and settings", () => {
  test("failed sign-ins are kept as events, filterable by account and address; the user page lists its own", async () => {
    const email = unique("events");
    const { id } = await register(email);
    await hbpLogin(email, "wrong-password-1", { "x-forwarded-for": "203.0.113.99, 127.0.0.1" });
    // Stored just after the answer: waited for.
    const byAccount = await eventually(
      async () => {
        const res = await admin.call("GET", `/security-events?account=${encodeURIComponent(`email:${email}`)}`);
        return res.body.events.length > 0 && res;
      },
      { what: "the failed sign-in's event" },
    );
    expect(byAccount.body.events).toHaveLength(1);
    expect(byAccount.body.events[0]).toMatchObject({ event: "sign_in_failed", ip: "203.0.113.99", account: `email:${email}`, reason: "invalid_credentials" });
    const byIp = await admin.call("GET", "/security-events?ip=203.0.113.99");
    expect(byIp.body.events.map((event: any) => event.account)).toEqual([`email:${email}`]);
    const page = await admin.call("GET", `/users/${id}`);
    expect(page.body.recent_security_events.map((event: any) => event.event)).toEqual(["sign_in_failed"]);
  });

  test("the overview counts accounts, today's sign-ins and failures, sessions, storage, mail, and names the version", async () => {
    const res = await admin.call("GET", "/overview");
    expect(res.status).toBe(200);
    const body = res.body;
    const users = await queryDatabase<{ n: number }>(server.dataDir, "SELECT count(*) AS n FROM users");
    expect(body.accounts.total).toBe(Number(users[0]!.n));
    expect(body.accounts.new_this_week).toBe(body.accounts.total);
    expect(body.sign_ins_per_day).toHaveLength(14);
    const today = body.sign_ins_per_day[13];
    expect(today.day).toBe(Math.floor(Date.now() / 86_400_000) * 86_400_000);
    expect(today.sign_ins).toBeGreaterThan(5);
    expect(today.failures).toBeGreaterThanOrEqual(6);
    expect(body.active_sessions).toBeGreaterThan(0);
    expect(body.storage).toEqual({ files: 0, bytes: 0 });
    expect(body.mail.failed).toBe(0);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.last_backup).toEqual({ succeeded_at: null, failed_at: null, schedule: null });
  });

  test("settings: every setting in effect with secrets masked", async () => {
    const res = await admin.call("GET", "/settings");
    const byName = new Map<string, string>(res.body.settings.map((row: any) => [row.name, row.value]));
    expect(byName.get("jwt.key")).toBe("******** (set)");
    expect(byName.get("lncrawl.adminPassword")).toBe("******** (set)");
    expect(byName.get("console.enabled")).toBe("true");
    expect(byName.get("console.requireMfa")).toBe("false");
    expect(JSON.stringify(res.body)).not.toContain(ADMIN_PASSWORD);
    expect(res.body.warnings).toEqual([]);
  });
});

describe("settings that change the console", () => {
  test("an https PUBLIC_URL: CONSOLE_REQUIRE_MFA is on by default (no second factor: 403, audited), and the cookie is Secure", async () => {
    const https = await startServer({ ADMIN_EMAIL, ADMIN_PASSWORD, PUBLIC_URL: "https://console.example.test" });
    try {
      const refused = await call(https.url, "POST", "/console/api/session", { json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("second_factor_required");
      expect(refused.cookies).toEqual([]);
      const login = await call(https.url, "POST", "/auth/login", { json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, cookie: false } });
      const generated = await call(https.url, "POST", "/auth/mfa/generate", { headers: { authorization: `Bearer ${login.body.jwt_token}` } });
      await awayFromStepEdge();
      await call(https.url, "POST", "/auth/mfa/enable", {
        headers: { authorization: `Bearer ${login.body.jwt_token}` },
        json: { code: totpCode(generated.body.otp_secret, -1) },
      });
      const first = await call(https.url, "POST", "/console/api/session", { json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
      const signedIn = await call(https.url, "POST", "/console/api/session/totp", { json: { ticket: first.body.ticket, code: totpCode(generated.body.otp_secret) } });
      expect(signedIn.status).toBe(200);
      expect(signedIn.cookies[0]).toContain("; Secure");
      const session = consoleClient(https.url, cookieHeader(signedIn.cookies), signedIn.body.session.csrf_token);
      const failed = (await session.call("GET", "/audit?action=sign_in_failed")).body.entries;
      expect(failed[0]).toMatchObject({ admin_email: ADMIN_EMAIL, details: { reason: "second_factor_required" } });
    } finally {
      await https.stop();
    }
  });

  test("CONSOLE_ENABLED=false: nothing under /console answers (404), and the document lists none of it", async () => {
    const off = await startServer({ ADMIN_EMAIL, ADMIN_PASSWORD, CONSOLE_ENABLED: "false" });
    try {
      for (const [method, path] of [["POST", "/console/api/session"], ["GET", "/console/api/overview"], ["GET", "/console"], ["GET", "/console/"]] as const) {
        expect((await call(off.url, method, path, { json: method === "POST" ? { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } : undefined })).status).toBe(404);
      }
      const document = await call(off.url, "GET", "/openapi/json");
      expect(Object.keys(document.body.paths).filter((path) => path.startsWith("/console"))).toEqual([]);
    } finally {
      await off.stop();
    }
  });
});

describe("the page's files", () => {
  test("the script and style sheet are served with the CSP; any other name, Object.prototype's too, is a 404", async () => {
    const script = await fetch(`${server.url}/console/assets/console.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty", "console.html", "..%2Fconsole.js"]) {
      const res = await fetch(`${server.url}/console/assets/${name}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });
});
