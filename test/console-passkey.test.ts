// A passkey as the console's second factor (issue 28): under CONSOLE_REQUIRE_MFA an administrator whose only second
// factor is a passkey signs in with the password, then the passkey answering the ticket (as HBP's /auth/mfa/webauthn),
// black-box over HTTP with the software authenticator. Refused: another account's passkey, a used ticket, a signature
// for another origin; each refusal after the password is audited. An administrator with TOTP too is offered both.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { consoleClient } from "./support/console.ts";
import { call, cookieHeader, type JsonResponse } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { SoftwareAuthenticator } from "./support/software-authenticator.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

const ORIGIN = "http://localhost:5173";
const ADMIN_EMAIL = "passkey-admin@console.example";
const ADMIN_PASSWORD = "console-passkey-password-1";
const SETTINGS = {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  CONSOLE_REQUIRE_MFA: "true",
  WEBAUTHN_ENABLED: "true",
  WEBAUTHN_RP_ID: "localhost",
  WEBAUTHN_RP_ORIGINS: ORIGIN,
  WEBAUTHN_RP_NAME: "Console",
};

let server: TestServer;
const adminKey = new SoftwareAuthenticator({ origin: ORIGIN });

const post = (path: string, json?: unknown, headers: Record<string, string> = {}) => call(server.url, "POST", path, { json, headers });
const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

/** Adds a passkey of `device` to the account behind `jwt` through HBP. */
async function addPasskey(jwt: string, device: SoftwareAuthenticator): Promise<void> {
  const options = await post("/auth/user/webauthn/add", undefined, bearer(jwt));
  expect(options.status).toBe(200);
  expect((await post("/auth/user/webauthn/verify", { credential: await device.create(options.body) }, bearer(jwt))).status).toBe(200);
}

const consolePassword = (email = ADMIN_EMAIL, password = ADMIN_PASSWORD) => post("/console/api/session", { email, password });

async function passkeyAnswer(ticket: string, device: SoftwareAuthenticator, overrides: Parameters<SoftwareAuthenticator["get"]>[1] = {}): Promise<JsonResponse> {
  const options = await post("/console/api/session/passkey", { ticket });
  expect(options.status).toBe(200);
  return post("/console/api/session/passkey/verify", { ticket, credential: await device.get(options.body, overrides) });
}

beforeAll(async () => {
  server = await startServer(SETTINGS);
  // Before any second factor: CONSOLE_REQUIRE_MFA refuses the administrator.
  const refused = await consolePassword();
  expect([refused.status, refused.body.error.code]).toEqual([403, "second_factor_required"]);
  // The administrator adds a passkey through HBP (no TOTP: the password alone signs in there).
  const login = await post("/auth/login", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, cookie: false });
  expect(login.status).toBe(200);
  await addPasskey(login.body.jwt_token, adminKey);
});
afterAll(() => server.stop());

async function audit(action: string): Promise<any[]> {
  const ticket = (await consolePassword()).body.ticket;
  const signedIn = await passkeyAnswer(ticket, adminKey);
  const admin = consoleClient(server.url, cookieHeader(signedIn.cookies), signedIn.body.session.csrf_token);
  return (await admin.call("GET", `/audit?action=${action}`)).body.entries;
}

describe("a passkey as the second factor", () => {
  test("the password answers a ticket for a passkey, no cookie; the passkey signs in (second_factor passkey), audited", async () => {
    const first = await consolePassword();
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: "second_factor", ticket: expect.any(String), methods: ["passkey"] });
    expect(first.cookies).toEqual([]);
    const options = await post("/console/api/session/passkey", { ticket: first.body.ticket });
    expect(options.body.allowCredentials.map((descriptor: { id: string }) => descriptor.id)).toEqual([...adminKey.credentials.keys()]);
    const signedIn = await post("/console/api/session/passkey/verify", { ticket: first.body.ticket, credential: await adminKey.get(options.body) });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.session.second_factor).toBe("passkey");
    const admin = consoleClient(server.url, cookieHeader(signedIn.cookies), signedIn.body.session.csrf_token);
    expect((await admin.call("GET", "/session")).status).toBe(200);
    const [entry] = (await admin.call("GET", "/audit?action=sign_in")).body.entries;
    expect(entry).toMatchObject({ admin_email: ADMIN_EMAIL, details: { second_factor: "passkey" } });
    // The ticket is used up.
    const again = await post("/console/api/session/passkey", { ticket: first.body.ticket });
    expect([again.status, again.body.error.code]).toEqual([401, "invalid_ticket"]);
  });

  test("another account's passkey does not answer the ticket (401 invalid_passkey, audited); the ticket stays for a retry", async () => {
    const email = `other-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const other = await post("/auth/register", { email, password: "other-password-123", cookie: false });
    const stranger = new SoftwareAuthenticator({ origin: ORIGIN });
    await addPasskey(other.body.jwt_token, stranger);
    const { ticket } = (await consolePassword()).body;
    const options = await post("/console/api/session/passkey", { ticket });
    const wrong = await post("/console/api/session/passkey/verify", { ticket, credential: await stranger.get({ ...options.body, allowCredentials: [] }) });
    expect([wrong.status, wrong.body.error.code]).toEqual([401, "invalid_passkey"]);
    expect(wrong.cookies).toEqual([]);
    const retried = await passkeyAnswer(ticket, adminKey);
    expect(retried.status).toBe(200);
    const failures = await audit("sign_in_failed");
    expect(failures.some((entry) => entry.details.reason === "invalid_passkey")).toBe(true);
  });

  test("a signature made for another origin is refused; an unknown ticket gets no options", async () => {
    const { ticket } = (await consolePassword()).body;
    const phished = await passkeyAnswer(ticket, adminKey, { origin: "https://evil.example" });
    expect([phished.status, phished.body.error.code]).toEqual([401, "invalid_passkey"]);
    const unknown = await post("/console/api/session/passkey", { ticket: crypto.randomUUID() });
    expect([unknown.status, unknown.body.error.code]).toEqual([401, "invalid_ticket"]);
  });

  test("an administrator with TOTP and a passkey is offered both, and either signs in", async () => {
    const email = `both-${crypto.randomUUID().slice(0, 8)}@console.example`;
    const password = "both-password-4711";
    const registered = await post("/auth/register", { email, password, cookie: false });
    const jwt = registered.body.jwt_token;
    const device = new SoftwareAuthenticator({ origin: ORIGIN });
    await addPasskey(jwt, device);
    const generated = await post("/auth/mfa/generate", undefined, bearer(jwt));
    await awayFromStepEdge();
    expect((await post("/auth/mfa/enable", { code: totpCode(generated.body.otp_secret, -1) }, bearer(jwt))).status).toBe(204);
    // The admin role, given by the first administrator in the console.
    const ticket = (await consolePassword()).body.ticket;
    const signedIn = await passkeyAnswer(ticket, adminKey);
    const admin = consoleClient(server.url, cookieHeader(signedIn.cookies), signedIn.body.session.csrf_token);
    expect((await admin.call("PUT", `/users/${registered.body.user.id}/roles`, { roles: ["user", "admin"] })).status).toBe(200);
    const first = await consolePassword(email, password);
    expect(first.body.methods).toEqual(["totp", "passkey"]);
    const byPasskey = await passkeyAnswer(first.body.ticket, device);
    expect(byPasskey.status).toBe(200);
    const second = await consolePassword(email, password);
    const byCode = await post("/console/api/session/totp", { ticket: second.body.ticket, code: totpCode(generated.body.otp_secret) });
    expect([byCode.status, byCode.body.session?.second_factor]).toEqual([200, "totp"]);
  });
});
