// One registration policy for every dialect (issue 23, defect 12; ARCHITECTURE.md "one user base"): registration
// open or closed, allowed email domains and the password rules are core's, so no dialect is a second, looser door.
// Each dialect refuses in its own error format, and a refusal writes nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryDatabase } from "./support/backend.ts";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { call, type JsonResponse } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

const EVERY_DIALECT = { LNCRAWL_ENABLED: "true", WOLFPAL_ENABLED: "true", FAROE_CREDENTIAL };
const ADMIN = { ADMIN_EMAIL: "root@example.org", ADMIN_PASSWORD: "root-password-1" };
const faroe = { authorization: FAROE_CREDENTIAL };

const userCount = async (server: TestServer) =>
  Number((await queryDatabase<{ n: number | string }>(server.dataDir, "SELECT count(*) AS n FROM users"))[0]!.n);

/** An lncrawl referral token of the configured administrator (signup needs one). */
async function referrerToken(server: TestServer): Promise<string> {
  const login = await call(server.url, "POST", "/api/auth/login", { json: { email: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD } });
  expect(login.status).toBe(200);
  const token = await call(server.url, "POST", "/api/auth/me/create-token", { headers: { authorization: `Bearer ${login.body.token}` } });
  return token.body.token;
}

/** Every way to sign oneself up, with this address and password. */
function signUps(server: TestServer, referrer: string, email: string, password: string): Record<string, () => Promise<JsonResponse>> {
  const username = `u${crypto.randomUUID().slice(0, 8)}`;
  return {
    "HBP register": () => call(server.url, "POST", "/auth/register", { json: { email, password, cookie: false } }),
    "lncrawl signup": () => call(server.url, "POST", "/api/auth/signup", { json: { referrer, email, password } }),
    "WolfPal register": () => call(server.url, "POST", "/wolfpal/auth/register", { json: { username, email, password } }),
    "Faroe POST /users": () => call(server.url, "POST", "/faroe/users", { json: { email, password }, headers: faroe }),
  };
}

describe("REGISTRATION_ENABLED=false closes sign-up in every dialect", () => {
  let closed: TestServer;
  let referrer: string;
  beforeAll(async () => {
    closed = await startServer({
      ...EVERY_DIALECT,
      ...ADMIN,
      REGISTRATION_ENABLED: "false",
      ANONYMOUS_USERS_ENABLED: "true",
      MAGIC_LINK_ENABLED: "true",
      REDIRECT_URL_SUCCESS: "http://app.example/welcome",
    });
    referrer = await referrerToken(closed);
  });
  afterAll(() => closed.stop());

  test.each([
    ["HBP register", { statusCode: 403, error: "Forbidden", message: "Registration is closed." }, 403],
    ["lncrawl signup", { error: "Registration is closed", detail: null }, 403],
    ["WolfPal register", { code: "REGISTRATION_DISABLED", error: "Currently registration are disabled." }, 409],
  ])("%s: refused in its own format, nothing written", async (name, body, status) => {
    const before = await userCount(closed);
    const res = await signUps(closed, referrer, `closed-${crypto.randomUUID().slice(0, 8)}@example.org`, "long-enough-1")[name]!();
    expect(res.status).toBe(status);
    expect(res.body).toEqual(body);
    expect(await userCount(closed)).toBe(before);
  });

  test("HBP's password-less (magic link) and anonymous sign-ups are sign-ups too", async () => {
    const before = await userCount(closed);
    const magic = await call(closed.url, "POST", "/auth/register", { json: { email: "magic@example.org" } });
    expect(magic.status).toBe(403);
    expect(magic.body.message).toBe("Registration is closed.");
    const anonymous = await call(closed.url, "POST", "/auth/login", { json: { anonymous: true, cookie: false } });
    expect(anonymous.status).toBe(403);
    expect(await userCount(closed)).toBe(before);
  });

  // Faroe is called by the application's own backend with its credential, which already lists and deletes every
  // user: that backend runs the sign-up page and decides there who may register.
  test("Faroe's POST /users, the operator's backend, still creates accounts, and they sign in everywhere", async () => {
    const email = "made-by-backend@example.org";
    const res = await call(closed.url, "POST", "/faroe/users", { json: { email, password: "long-enough-1" }, headers: faroe });
    expect(res.status).toBe(200);
    const login = await call(closed.url, "POST", "/auth/login", { json: { email, password: "long-enough-1", cookie: false } });
    expect(login.status).toBe(200);
  });

  test("signing in is unaffected", async () => {
    const login = await call(closed.url, "POST", "/auth/login", { json: { email: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD, cookie: false } });
    expect(login.status).toBe(200);
  });
});

describe("allowed domains and password rules are the same in every dialect", () => {
  let open: TestServer;
  let referrer: string;
  beforeAll(async () => {
    open = await startServer({ ...EVERY_DIALECT, ...ADMIN, ALLOWED_EMAIL_DOMAINS: "example.org" });
    referrer = await referrerToken(open);
  });
  afterAll(() => open.stop());

  const expectations = {
    "HBP register": { domain: [400, { message: '"email" is not in an allowed domain' }], short: [400, { message: '"password" is too short' }] },
    "lncrawl signup": { domain: [422, { detail: "email: this domain is not allowed" }], short: [422, { detail: "password: too short" }] },
    "WolfPal register": { domain: [400, { code: "INVALID" }], short: [400, { codes: { password: "NOT_LONG_ENOUGH" } }] },
    "Faroe POST /users": { domain: [400, { error: "INVALID_EMAIL" }], short: [400, { error: "WEAK_PASSWORD" }] },
  } as const;

  test.each(Object.keys(expectations))("%s: an address that merely ends with an allowed domain is refused", async (name) => {
    const before = await userCount(open);
    // HBP's own rule (the address ends with the domain) lets this in.
    const res = await signUps(open, referrer, `mallory-${crypto.randomUUID().slice(0, 8)}@evil-example.org`, "long-enough-1")[name]!();
    const [status, body] = expectations[name as keyof typeof expectations].domain;
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject(body);
    expect(await userCount(open)).toBe(before);
  });

  test.each(Object.keys(expectations))("%s: a subdomain of an allowed domain is allowed", async (name) => {
    const res = await signUps(open, referrer, `sub-${crypto.randomUUID().slice(0, 8)}@mail.example.org`, "long-enough-1")[name]!();
    expect(res.status).toBeLessThan(300);
  });

  test.each(Object.keys(expectations))("%s: MIN_PASSWORD_LENGTH is 8 by default (NIST), not HBP's 3", async (name) => {
    const before = await userCount(open);
    const res = await signUps(open, referrer, `short-${crypto.randomUUID().slice(0, 8)}@example.org`, "7-chars")[name]!();
    const [status, body] = expectations[name as keyof typeof expectations].short;
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject(body);
    expect(await userCount(open)).toBe(before);
  });

  test("a new password set later follows the same rules (HBP change, lncrawl change)", async () => {
    const email = `changer-${crypto.randomUUID().slice(0, 8)}@example.org`;
    const registered = await call(open.url, "POST", "/auth/register", { json: { email, password: "long-enough-1", cookie: false } });
    expect(registered.status).toBe(200);
    const hbp = await call(open.url, "POST", "/auth/change-password", {
      headers: { authorization: `Bearer ${registered.body.jwt_token}` },
      json: { old_password: "long-enough-1", new_password: "7-chars" },
    });
    expect(hbp.status).toBe(400);
    const lncrawlLogin = await call(open.url, "POST", "/api/auth/login", { json: { email, password: "long-enough-1" } });
    const lncrawl = await call(open.url, "PUT", "/api/auth/me/password", {
      headers: { authorization: `Bearer ${lncrawlLogin.body.token}` },
      json: { old_password: "long-enough-1", new_password: "7-chars" },
    });
    expect(lncrawl.status).toBe(422);
    expect((await call(open.url, "POST", "/auth/login", { json: { email, password: "long-enough-1", cookie: false } })).status).toBe(200);
  });
});

describe("MIN_PASSWORD_LENGTH above a dialect's own minimum", () => {
  test("WolfPal (8 to 56) and Faroe (8) refuse a 10-character password when the policy asks for 12", async () => {
    const strict = await startServer({ WOLFPAL_ENABLED: "true", FAROE_CREDENTIAL, MIN_PASSWORD_LENGTH: "12" });
    try {
      const wolfpal = await call(strict.url, "POST", "/wolfpal/auth/register", { json: { username: "Strict1", email: "s1@example.org", password: "ten-chars!" } });
      expect(wolfpal.status).toBe(400);
      expect(wolfpal.body).toEqual({ code: "NOT_LONG_ENOUGH", error: "The password is too short." });
      const faroeUser = await call(strict.url, "POST", "/faroe/users", { json: { email: "s2@example.org", password: "ten-chars!" }, headers: faroe });
      expect(faroeUser.body).toEqual({ error: "WEAK_PASSWORD" });
      expect(await userCount(strict)).toBe(0);
    } finally {
      await strict.stop();
    }
  });
});
