// Provider identities on the console's user page (issue 28): an administrator unlinks one (core/identities, its own
// rules: never the account's last way to sign in, 409), audited; black-box over HTTP, the identities put in the
// database as a provider's sign-in would leave them (test/oidc-sign-in.test.ts signs in through a real provider).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryDatabase } from "./support/backend.ts";
import { consoleSignIn, type ConsoleClient } from "./support/console.ts";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

const ADMIN_EMAIL = "identities-admin@console.example";
const ADMIN_PASSWORD = "console-identities-password-1";

let server: TestServer;
let admin: ConsoleClient;

beforeAll(async () => {
  server = await startServer({ ADMIN_EMAIL, ADMIN_PASSWORD });
  admin = await consoleSignIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
});
afterAll(() => server.stop());

async function account(options: { password: boolean }): Promise<string> {
  const email = `identity-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call(server.url, "POST", "/auth/register", { json: { email, password: "identity-password-1", cookie: false } });
  expect(res.status).toBe(200);
  const id = res.body.user.id;
  if (!options.password) await queryDatabase(server.dataDir, "UPDATE users SET password_hash = NULL WHERE id = ?", [id]);
  return id;
}

const link = (userId: string, provider: string, subject: string) =>
  queryDatabase(server.dataDir, "INSERT INTO user_identities (id, user_id, provider, subject, email, created_at) VALUES (?, ?, ?, ?, ?, ?)", [
    crypto.randomUUID(),
    userId,
    provider,
    subject,
    `${subject}@${provider}.example`,
    Date.now(),
  ]);

const providersOf = async (userId: string) => (await admin.call("GET", `/users/${userId}`)).body.identities.map((identity: any) => identity.provider);

describe("unlinking a provider identity", () => {
  test("an account with a password: the identity goes, the page no longer lists it, the audit says which provider", async () => {
    const id = await account({ password: true });
    await link(id, "github", "4711");
    await link(id, "google", "0815");
    expect((await providersOf(id)).sort()).toEqual(["github", "google"]);
    const res = await admin.call("DELETE", `/users/${id}/identities/github`);
    expect(res.status).toBe(204);
    expect(await providersOf(id)).toEqual(["google"]);
    const [entry] = (await admin.call("GET", `/audit?target=${encodeURIComponent(`user:${id}`)}`)).body.entries;
    expect(entry).toMatchObject({ action: "identity_unlinked", admin_email: ADMIN_EMAIL, details: { provider: "github" } });
    const again = await admin.call("DELETE", `/users/${id}/identities/github`);
    expect([again.status, again.body.error.code]).toEqual([404, "identity_not_found"]);
  });

  test("never the last way to sign in: 409 last_sign_in_method, the identity stays, nothing audited; with a second identity, one goes", async () => {
    const id = await account({ password: false });
    await link(id, "github", "1234");
    const refused = await admin.call("DELETE", `/users/${id}/identities/github`);
    expect([refused.status, refused.body.error.code]).toEqual([409, "last_sign_in_method"]);
    expect(await providersOf(id)).toEqual(["github"]);
    expect((await admin.call("GET", `/audit?target=${encodeURIComponent(`user:${id}`)}`)).body.entries).toEqual([]);
    await link(id, "google", "5678");
    expect((await admin.call("DELETE", `/users/${id}/identities/github`)).status).toBe(204);
    expect(await providersOf(id)).toEqual(["google"]);
  });

  test("an unknown account is 404 user_not_found; without the CSRF token 403 and the identity stays", async () => {
    const unknown = await admin.call("DELETE", `/users/${crypto.randomUUID()}/identities/github`);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "user_not_found"]);
    const id = await account({ password: true });
    await link(id, "github", "9999");
    const forged = await call(server.url, "DELETE", `/console/api/users/${id}/identities/github`, { headers: { cookie: admin.cookie } });
    expect([forged.status, forged.body.error.code]).toEqual([403, "csrf_token_invalid"]);
    expect(await providersOf(id)).toEqual(["github"]);
  });
});
