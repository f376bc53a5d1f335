// One user base: a disabled account gets nothing from any dialect, whichever credential it holds.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { queryDatabase } from "./support/backend.ts";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ LNCRAWL_ENABLED: "true", WOLFPAL_ENABLED: "true", ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: "root-password-1" });
});
afterAll(() => server.stop());

async function setDisabled(email: string, disabled: boolean): Promise<void> {
  await queryDatabase(server.dataDir, "UPDATE users SET disabled = ? WHERE email = ?", [disabled, email]);
}

/** The WolfPal access token the banned user held before the ban (its session is checked at each use). */
let heldAccessToken = "";

test("a disabled user gets nothing from HBP, lncrawl or WolfPal, with the tokens issued before or new ones", async () => {
  const email = "banned@example.com";
  const password = "banned-password";
  const hbp = await call(server.url, "POST", "/auth/register", { json: { email, password, cookie: false } });
  expect(hbp.status).toBe(200);
  const lncrawl = await call(server.url, "POST", "/api/auth/login", { json: { email, password } });
  expect(lncrawl.status).toBe(200);
  const wolfpal = await call(server.url, "POST", "/wolfpal/auth/login", { json: { email, password } });
  expect(wolfpal.status).toBe(200);
  heldAccessToken = wolfpal.body.access_token;

  await setDisabled(email, true);

  // New sign-ins.
  expect((await call(server.url, "POST", "/auth/login", { json: { email, password } })).status).toBe(401);
  expect((await call(server.url, "POST", "/api/auth/login", { json: { email, password } })).status).toBe(403);
  expect((await call(server.url, "POST", "/wolfpal/auth/login", { json: { email, password } })).status).toBe(403);
  const basic = `Basic ${Buffer.from(`${email}:${password}`).toString("base64")}`;
  expect((await call(server.url, "GET", "/api/auth/me", { headers: { authorization: basic } })).status).toBe(403);

  // Credentials issued before.
  expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${hbp.body.refresh_token}`)).status).toBe(401);
  expect((await call(server.url, "GET", "/api/auth/me", { headers: { authorization: `Bearer ${lncrawl.body.token}` } })).status).toBe(403);
  expect((await call(server.url, "POST", "/auth/token/revoke", { headers: { authorization: `Bearer ${hbp.body.jwt_token}` } })).status).toBe(401);
  expect((await call(server.url, "POST", "/wolfpal/account/two-factor", { headers: { authorization: `Bearer ${wolfpal.body.access_token}` } })).status).toBe(403);
  expect((await call(server.url, "POST", "/wolfpal/auth/refresh", { json: { refresh_token: wolfpal.body.refresh_token } })).status).toBe(401);
});

test("enabled again, the account signs in as before (the refusals above were the flag, not the password); the refused session stays ended", async () => {
  await setDisabled("banned@example.com", false);
  const res = await call(server.url, "POST", "/auth/login", { json: { email: "banned@example.com", password: "banned-password" } });
  expect(res.status).toBe(200);
  // The session that tried to refresh while banned was ended then: its access token, still unexpired, is refused.
  const logout = await call(server.url, "POST", "/wolfpal/auth/logout", { headers: { authorization: `Bearer ${heldAccessToken}` } });
  expect(logout.status).toBe(401);
});
