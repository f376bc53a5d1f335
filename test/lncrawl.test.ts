// lncrawl's /api/auth: admin bootstrap, login, referral sign-up, profile, reset link, email OTP, API tokens,
// Basic auth, and the cross-dialect rules (one user base, TOTP users refused on a password alone).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { queryDatabase } from "./support/backend.ts";
import { call } from "./support/http.ts";
import { untilMailDealtWith } from "./support/mail-queue.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { startSmtp, type TestSmtp } from "./support/smtp.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

const API = "/api/auth";
const ADMIN = { ADMIN_EMAIL: "root@example.com", ADMIN_PASSWORD: "root-password-1" };
let smtp: TestSmtp;
let server: TestServer;

beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ ...smtp.env, ...ADMIN, LNCRAWL_ENABLED: "true", LNCRAWL_RESET_URL: "http://novels.example/reset-password" });
});
afterAll(async () => {
  await server.stop();
  await smtp.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (email: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${email}:${password}`).toString("base64")}` });

async function adminToken(): Promise<string> {
  const res = await call(server.url, "POST", `${API}/login`, { json: { email: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD } });
  expect(res.status).toBe(200);
  return res.body.token;
}

/** Signs a new user up with a referral token of the admin's; returns the login response. */
async function newUser(name?: string): Promise<{ email: string; token: string; user: any }> {
  const referrer = (await call(server.url, "POST", `${API}/me/create-token`, { headers: bearer(await adminToken()) })).body.token;
  const email = `reader-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call(server.url, "POST", `${API}/signup`, { json: { referrer, email, password: "reader-password", name } });
  expect(res.status).toBe(200);
  return { email, ...res.body };
}

describe("admin bootstrap", () => {
  test("ADMIN_EMAIL/ADMIN_PASSWORD make an admin account: role admin, tier 2 (VIP)", async () => {
    const res = await call(server.url, "POST", `${API}/login`, { json: { email: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD } });
    expect(res.body.user).toMatchObject({ email: "root@example.com", role: "admin", tier: 2, is_active: true, name: "Server Admin" });
  });

  test("without them, an `admin` account with a random password in a 0600 file, never in the log; admin/admin does not work", async () => {
    const fresh = await startServer({ LNCRAWL_ENABLED: "true" });
    try {
      const file = join(fresh.dataDir, "admin-password.txt");
      expect(fresh.output()).toContain(`created the administrator account "admin"; its password is in ${file}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const password = readFileSync(file, "utf8").trim();
      expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);
      // A log goes to journald or docker, read far more widely than the data directory: the password is not in it.
      expect(fresh.output()).not.toContain(password);
      // 96 random bits need no key stretching: hashed at argon2id's smallest cost (a fast first start) ...
      const storedHash = async () =>
        (await queryDatabase<{ password_hash: string }>(fresh.dataDir, "SELECT password_hash FROM users WHERE username = 'admin'"))[0]!.password_hash;
      expect(await storedHash()).toStartWith("$argon2id$v=19$m=64,t=1,");
      expect((await call(fresh.url, "POST", `${API}/login`, { json: { email: "admin", password: "admin" } })).status).toBe(401);
      const res = await call(fresh.url, "POST", `${API}/login`, { json: { email: "admin", password } });
      expect(res.status).toBe(200);
      expect(res.body.user.role).toBe("admin");
      // ... and at the full cost from the first sign-in on, like every other password.
      expect(await storedHash()).toStartWith("$argon2id$v=19$m=19456,t=2,");
      expect((await call(fresh.url, "POST", `${API}/login`, { json: { email: "admin", password } })).status).toBe(200);
    } finally {
      await fresh.stop();
    }
  });
});

describe("login and signup", () => {
  test("login answers {token, user}; the token works on /me", async () => {
    const { email } = await newUser("Reader One");
    const res = await call(server.url, "POST", `${API}/login`, { json: { email, password: "reader-password" } });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ email, name: "Reader One", role: "user", tier: 0, is_active: true, is_verified: false });
    expect(typeof res.body.user.created_at).toBe("number");
    const me = await call(server.url, "GET", `${API}/me`, { headers: bearer(res.body.token) });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(res.body.user.id);
  });

  test("a wrong password and an unknown address answer alike", async () => {
    const { email } = await newUser();
    const wrong = await call(server.url, "POST", `${API}/login`, { json: { email, password: "nope-nope" } });
    const unknown = await call(server.url, "POST", `${API}/login`, { json: { email: "who@example.com", password: "nope-nope" } });
    for (const res of [wrong, unknown]) expect(res).toMatchObject({ status: 401, body: { error: "Unauthorized", detail: null } });
  });

  test("signup records the referrer", async () => {
    const { user } = await newUser();
    const admin = await call(server.url, "GET", `${API}/me`, { headers: bearer(await adminToken()) });
    expect(user.referrer_id).toBe(admin.body.id);
  });

  test.each([
    ["an unknown referrer token", "ZZZZZZZZZZ", 403, "Invalid token"],
    ["a missing referrer", undefined, 422, "Validation error"],
  ])("signup with %s is refused", async (_, referrer, status, error) => {
    const res = await call(server.url, "POST", `${API}/signup`, { json: { referrer, email: "x@example.com", password: "password-1" } });
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
  });

  test("signup with an expired referrer token is refused", async () => {
    // Tokens live 15 days: expire one by editing the database the server uses.
    const token = (await call(server.url, "POST", `${API}/me/create-token`, { headers: bearer(await adminToken()) })).body.token;
    await queryDatabase(server.dataDir, "UPDATE api_tokens SET expires_at = 1 WHERE token = ?", [token]);
    const res = await call(server.url, "POST", `${API}/signup`, { json: { referrer: token, email: "late@example.com", password: "password-1" } });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("Token expired");
  });

  test("signup with the token of a disabled referrer is refused", async () => {
    const referrer = await newUser();
    const token = (await call(server.url, "POST", `${API}/me/create-token`, { headers: bearer(referrer.token) })).body.token;
    await queryDatabase(server.dataDir, "UPDATE users SET disabled = ? WHERE email = ?", [true, referrer.email]);
    const res = await call(server.url, "POST", `${API}/signup`, { json: { referrer: token, email: "invited@example.com", password: "password-1" } });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("User is inactive");
    expect((await call(server.url, "GET", `${API}/verify-token?token=${token}`)).body).toBe(false);
  });

  test("a taken address is a 409", async () => {
    const { email } = await newUser();
    const referrer = (await call(server.url, "POST", `${API}/me/create-token`, { headers: bearer(await adminToken()) })).body.token;
    const res = await call(server.url, "POST", `${API}/signup`, { json: { referrer, email, password: "password-1" } });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe("User already exists");
  });
});

describe("profile", () => {
  test("PUT /me/name and PUT /me/password answer true", async () => {
    const { email, token } = await newUser();
    const named = await call(server.url, "PUT", `${API}/me/name`, { headers: bearer(token), json: { name: "New Name" } });
    expect(named.body).toBe(true);
    expect((await call(server.url, "GET", `${API}/me`, { headers: bearer(token) })).body.name).toBe("New Name");
    const wrong = await call(server.url, "PUT", `${API}/me/password`, { headers: bearer(token), json: { old_password: "nope", new_password: "changed-password" } });
    expect(wrong.status).toBe(401);
    const changed = await call(server.url, "PUT", `${API}/me/password`, { headers: bearer(token), json: { old_password: "reader-password", new_password: "changed-password" } });
    expect(changed.body).toBe(true);
    expect((await call(server.url, "POST", `${API}/login`, { json: { email, password: "changed-password" } })).status).toBe(200);
  });

  test("without credentials, with a bad token or an HBP token: 401", async () => {
    expect((await call(server.url, "GET", `${API}/me`)).status).toBe(401);
    expect((await call(server.url, "GET", `${API}/me`, { headers: bearer("not.a.jwt") })).status).toBe(401);
    const hbp = await call(server.url, "POST", "/auth/register", { json: { email: "hbp-only@example.com", password: "password-1", cookie: false } });
    expect((await call(server.url, "GET", `${API}/me`, { headers: bearer(hbp.body.jwt_token) })).status).toBe(401);
  });

  test("HTTP Basic works, except for a user with TOTP (no password-only access)", async () => {
    const { email } = await newUser();
    const res = await call(server.url, "GET", `${API}/me`, { headers: basic(email, "reader-password") });
    expect(res.status).toBe(200);
    expect(res.body.email).toBe(email);
    expect((await call(server.url, "GET", `${API}/me`, { headers: basic(email, "wrong-password") })).status).toBe(401);
  });
});

describe("password reset by link", () => {
  test("mails a link with a token; the token as Bearer sets the password once", async () => {
    const { email } = await newUser();
    const sent = await call(server.url, "POST", `${API}/send-password-reset-link`, { json: { email } });
    expect(sent.body).toBe(true);
    const mail = await smtp.waitFor(email);
    const link = new URL(/https?:\/\/\S+/.exec(mail.text)![0]);
    expect(`${link.origin}${link.pathname}`).toBe("http://novels.example/reset-password");
    const token = link.searchParams.get("token")!;
    const reset = await call(server.url, "POST", `${API}/reset-password-with-token`, { headers: bearer(token), json: { password: "after-reset-1" } });
    expect(reset.body).toBe(true);
    const login = await call(server.url, "POST", `${API}/login`, { json: { email, password: "after-reset-1" } });
    expect(login.body.user.is_verified).toBe(true);
    const again = await call(server.url, "POST", `${API}/reset-password-with-token`, { headers: bearer(token), json: { password: "again-reset-1" } });
    expect(again.status).toBe(401);
  });

  test("an unknown address gets true too, and no mail", async () => {
    const res = await call(server.url, "POST", `${API}/send-password-reset-link`, { json: { email: "ghost-reader@example.com" } });
    expect(res.body).toBe(true);
    await untilMailDealtWith(server.dataDir, "ghost-reader@example.com");
    expect(smtp.mails.some((mail) => mail.to.includes("ghost-reader@example.com"))).toBe(false);
  });
});

describe("email OTP", () => {
  async function otpFor(token: string, email: string): Promise<{ otpToken: string; code: string }> {
    const sent = await call(server.url, "POST", `${API}/me/send-otp`, { headers: bearer(token) });
    expect(sent.status).toBe(200);
    const code = /\b(\d{6})\b/.exec((await smtp.waitFor(email)).text)![1]!;
    return { otpToken: sent.body.token, code };
  }

  function form(fields: Record<string, string>): FormData {
    const body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    return body;
  }

  test("the right code (multipart) verifies the address; a wrong one is 403; a second send is 409", async () => {
    const { email, token } = await newUser();
    const { otpToken, code } = await otpFor(token, email);
    const wrongCode = code === "000000" ? "111111" : "000000";
    const wrong = await call(server.url, "POST", `${API}/verify-otp`, { body: form({ otp: wrongCode, token: otpToken }) });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toBe("Wrong OTP");
    const right = await call(server.url, "POST", `${API}/verify-otp`, { body: form({ otp: code, token: otpToken }) });
    expect(right.body).toBe(true);
    expect((await call(server.url, "GET", `${API}/me`, { headers: bearer(token) })).body.is_verified).toBe(true);
    const again = await call(server.url, "POST", `${API}/me/send-otp`, { headers: bearer(token) });
    expect(again.status).toBe(409);
  });

  test("an unknown OTP token is a 401", async () => {
    const res = await call(server.url, "POST", `${API}/verify-otp`, { body: form({ otp: "123456", token: crypto.randomUUID() }) });
    expect(res.status).toBe(401);
  });

  test("an expired code is refused even when right", async () => {
    const { email, token } = await newUser();
    const { otpToken, code } = await otpFor(token, email);
    // Codes live 5 minutes: age this one by editing the database the server uses.
    await queryDatabase(server.dataDir, "UPDATE challenges SET expires_at = 1 WHERE purpose = 'email-otp'");
    const res = await call(server.url, "POST", `${API}/verify-otp`, { body: form({ otp: code, token: otpToken }) });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("Invalid or expired token");
    expect((await call(server.url, "GET", `${API}/me`, { headers: bearer(token) })).body.is_verified).toBe(false);
  });
});

describe("API tokens", () => {
  test("create reuses a fresh token, lists it, and verify-token answers true", async () => {
    const { token } = await newUser();
    const first = await call(server.url, "POST", `${API}/me/create-token`, { headers: bearer(token) });
    expect(first.body.token).toMatch(/^[A-Za-z0-9]{10}$/);
    const second = await call(server.url, "POST", `${API}/me/create-token`, { headers: bearer(token) });
    expect(second.body.token).toBe(first.body.token);
    const list = await call(server.url, "POST", `${API}/me/tokens`, { headers: bearer(token) });
    expect(list.body).toEqual([{ token: first.body.token, user_id: expect.any(String), expires_at: expect.any(Number) }]);
    expect(list.body[0].expires_at - Date.now()).toBeGreaterThan(14 * 86_400_000);
    const verified = await call(server.url, "GET", `${API}/verify-token?token=${first.body.token}`);
    expect(verified.body).toBe(true);
    const unknown = await call(server.url, "GET", `${API}/verify-token?token=AAAAAAAAAA`);
    expect(unknown.status).toBe(403);
  });
});

describe("one user base", () => {
  test("a user with TOTP (enrolled through HBP) is refused lncrawl login and Basic, with a message that says why", async () => {
    const { email } = await newUser();
    const hbp = await call(server.url, "POST", "/auth/login", { json: { email, password: "reader-password", cookie: false } });
    const generated = await call(server.url, "POST", "/auth/mfa/generate", { headers: bearer(hbp.body.jwt_token) });
    await awayFromStepEdge();
    const enabled = await call(server.url, "POST", "/auth/mfa/enable", { headers: bearer(hbp.body.jwt_token), json: { code: totpCode(generated.body.otp_secret) } });
    expect(enabled.status).toBe(204);

    const login = await call(server.url, "POST", `${API}/login`, { json: { email, password: "reader-password" } });
    expect(login.status).toBe(403);
    expect(login.body.error).toBe("Two-factor authentication is enabled for this account");
    expect(login.body.detail).toContain("second-factor");
    expect((await call(server.url, "GET", `${API}/me`, { headers: basic(email, "reader-password") })).status).toBe(403);
  });

  test("a user signed up here signs in through HBP", async () => {
    const { email } = await newUser();
    const res = await call(server.url, "POST", "/auth/login", { json: { email, password: "reader-password", cookie: false } });
    expect(res.status).toBe(200);
  });
});

describe("off by default (LNCRAWL_ENABLED=false)", () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startServer({});
  });
  afterAll(() => off.stop());

  // An HBP-only deployment gets no second open sign-up route and no administrator account it did not ask for.
  test("nothing is served under /api/auth and no admin is created", async () => {
    expect((await call(off.url, "POST", `${API}/login`, { json: { email: "admin", password: "x" } })).status).toBe(404);
    expect((await call(off.url, "POST", `${API}/signup`, { json: { referrer: "x", email: "a@example.com", password: "password-1" } })).status).toBe(404);
    expect(off.output()).not.toContain("administrator");
    expect(existsSync(join(off.dataDir, "admin-password.txt"))).toBe(false);
    expect(await queryDatabase(off.dataDir, "SELECT id FROM users WHERE username = 'admin'")).toEqual([]);
  });
});
