// WolfPal at /wolfpal: register (urlencoded and JSON), confirmation mail, login, two-factor with TOTP and backup
// codes, refresh rotation, logout, forgotten password, and the cross-dialect rules.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { linkIn, startSmtp, type TestSmtp } from "./support/smtp.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

const W = "/wolfpal";
let smtp: TestSmtp;
let server: TestServer;

beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ ...smtp.env, WOLFPAL_ENABLED: "true" });
});
afterAll(async () => {
  await server.stop();
  await smtp.close();
});

const form = (fields: Record<string, string>) => ({
  body: new URLSearchParams(fields).toString(),
  headers: { "content-type": "application/x-www-form-urlencoded" },
});
const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) => {
  const request = form(fields);
  return call(server.url, "POST", `${W}${path}`, { body: request.body, headers: { ...request.headers, ...headers } });
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Registers and confirms a user; returns its credentials. */
async function confirmedUser(): Promise<{ username: string; email: string; password: string }> {
  const username = `wolf${crypto.randomUUID().slice(0, 8)}`;
  const email = `${username}@example.com`;
  const password = "wolf-password";
  const res = await post("/auth/register", { username, email, password });
  expect(res.status).toBe(201);
  const link = linkIn(await smtp.waitFor(email));
  const token = link.split("/").pop()!;
  expect((await call(server.url, "PUT", `${W}/user/activate-account/${token}`)).status).toBe(200);
  return { username, email, password };
}

async function loginPair(email: string, password: string) {
  const res = await post("/auth/login", { email, password });
  expect(res.status).toBe(200);
  return res.body as { access_token: string; refresh_token: string; twoFactor: boolean };
}

describe("register and confirm", () => {
  test("urlencoded register: 201 PENDING_CONFIRMATION, a mail, login refused until confirmed", async () => {
    const res = await post("/auth/register", { username: "Alpha1", email: "alpha@example.com", password: "alpha-password" });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ code: "PENDING_CONFIRMATION", error: "Please confirm your email address to complete the registration." });
    const mail = await smtp.waitFor("alpha@example.com");
    const link = linkIn(mail);
    expect(link).toContain(`${W}/user/activate-account/`);
    const pending = await post("/auth/login", { email: "alpha@example.com", password: "alpha-password" });
    expect(pending.status).toBe(400);
    expect(pending.body.code).toBe("PENDING_CONFIRMATION");

    const token = link.split("/").pop()!;
    const activated = await call(server.url, "PUT", `${W}/user/activate-account/${token}`);
    expect(activated.body).toMatchObject({ code: "ACTIVATED" });
    const again = await call(server.url, "PUT", `${W}/user/activate-account/${token}`);
    expect(again.status).toBe(400);
    expect(again.body.code).toBe("EXPIRED_OR_ALREADY_USED");
    expect((await loginPair("alpha@example.com", "alpha-password")).twoFactor).toBe(false);
  });

  test("JSON bodies work too", async () => {
    const res = await call(server.url, "POST", `${W}/auth/register`, { json: { username: "Jsonwolf", email: "json.wolf@example.com", password: "json-password" } });
    expect(res.status).toBe(201);
    await smtp.waitFor("json.wolf@example.com");
  });

  test("validation answers {codes, errors} for every bad field", async () => {
    const res = await post("/auth/register", { username: "ab", email: "not-an-email", password: "short" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      codes: { username: "NOT_LONG_ENOUGH", email: "INVALID", password: "NOT_LONG_ENOUGH" },
      errors: { username: expect.any(String), email: expect.any(String), password: expect.any(String) },
    });
    const chars = await post("/auth/register", { username: "bad name!", email: "b@example.com", password: "long-enough" });
    expect(chars.body.codes).toEqual({ username: "INVALID_CHARACTERS" });
    const missing = await post("/auth/register", {});
    expect(missing.body.codes).toEqual({ username: "REQUIRED", email: "REQUIRED", password: "REQUIRED" });
  });

  test("a taken username or email is 409 ALREADY_EXISTS", async () => {
    const { username, email } = await confirmedUser();
    const sameName = await post("/auth/register", { username: username.toUpperCase(), email: "other@example.com", password: "long-enough" });
    expect(sameName.status).toBe(409);
    expect(sameName.body.code).toBe("ALREADY_EXISTS");
    const sameEmail = await post("/auth/register", { username: "Otherwolf", email, password: "long-enough" });
    expect(sameEmail.body.code).toBe("ALREADY_EXISTS");
  });

  test("resend mails a new link to a waiting account, and answers the same for anyone", async () => {
    await post("/auth/register", { username: "Resender", email: "resend@example.com", password: "resend-password" });
    await smtp.waitFor("resend@example.com");
    expect((await post("/user/activate-account/resend", { email: "resend@example.com" })).body.code).toBe("PENDING_CONFIRMATION");
    const link = linkIn(await smtp.waitFor("resend@example.com"));
    expect((await call(server.url, "GET", new URL(link).pathname)).body.code).toBe("ACTIVATED");
    expect((await post("/user/activate-account/resend", { email: "nobody@example.com" })).body.code).toBe("PENDING_CONFIRMATION");
  });
});

describe("login, refresh, logout", () => {
  test("wrong password and unknown email: 400 INVALID_CREDENTIALS alike; missing fields carry code 400", async () => {
    const { email } = await confirmedUser();
    const wrong = await post("/auth/login", { email, password: "nope-nope" });
    const unknown = await post("/auth/login", { email: "ghost@example.com", password: "nope-nope" });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: "INVALID_CREDENTIALS", error: "Either email or password is invalid. " });
    }
    const missing = await post("/auth/login", { email });
    expect(missing.body).toEqual({ code: 400, codes: { password: "REQUIRED" }, errors: { password: "Password is required." } });
  });

  test("refresh rotates; the old refresh token is then refused; logout ends the access token", async () => {
    const { email, password } = await confirmedUser();
    const pair = await loginPair(email, password);
    const rotated = await post("/auth/refresh", { refresh_token: pair.refresh_token });
    expect(rotated.status).toBe(200);
    expect(Object.keys(rotated.body).sort()).toEqual(["access_token", "refresh_token"]);
    expect(rotated.body.refresh_token).not.toBe(pair.refresh_token);
    const old = await post("/auth/refresh", { refresh_token: pair.refresh_token });
    expect(old.status).toBe(401);
    expect(old.body).toEqual({ code: "UNAUTHORIZED", error: "Unauthorized" });

    const out = await post("/auth/logout", {}, bearer(rotated.body.access_token));
    expect(out.body).toEqual({ code: "LOGGED_OUT", error: "You are now logged out." });
    expect((await post("/auth/logout", {}, bearer(rotated.body.access_token))).status).toBe(401);
    expect((await post("/auth/refresh", { refresh_token: rotated.body.refresh_token })).status).toBe(401);
  });

  test("a WolfPal-registered user signs in through HBP, and an HBP token is no WolfPal token", async () => {
    const { email, password } = await confirmedUser();
    const hbp = await call(server.url, "POST", "/auth/login", { json: { email, password, cookie: false } });
    expect(hbp.status).toBe(200);
    expect((await post("/auth/logout", {}, bearer(hbp.body.jwt_token))).status).toBe(401);
  });
});

describe("two-factor", () => {
  test("set up, enable, login needs it; TOTP works; a backup code works once", async () => {
    const { email, password } = await confirmedUser();
    const pair = await loginPair(email, password);
    const created = await post("/account/two-factor", {}, bearer(pair.access_token));
    expect(created.status).toBe(200);
    expect(created.body.qrImage).toStartWith("data:image/png;base64,");
    expect(created.body.backupCodes).toHaveLength(4);
    for (const code of created.body.backupCodes) expect(code).toMatch(/^\d{8}$/);
    await awayFromStepEdge();
    const wrong = await call(server.url, "PUT", `${W}/account/two-factor`, { ...form({ code: "000000" }), headers: { ...form({}).headers, ...bearer(pair.access_token) } });
    expect(wrong.body.code).toBe("INVALID_TWO_FACTOR_TOKEN");
    const enabled = await call(server.url, "PUT", `${W}/account/two-factor`, {
      body: form({ code: totpCode(created.body.secret, -1) }).body,
      headers: { ...form({}).headers, ...bearer(pair.access_token) },
    });
    expect(enabled.body.code).toBe("TWO_FACTOR_ENABLED");

    const first = await post("/auth/login", { email, password });
    expect(first.body).toEqual({ code: "TWO_FACTOR_REQUIRED", error: "Two Factor is required to complete login.", token: expect.any(String), twoFactor: true });
    const badToken = await post("/auth/two-factor", { token: crypto.randomUUID(), code: totpCode(created.body.secret) });
    expect(badToken.body.code).toBe("INVALID_TWO_FACTOR_TOKEN");
    const badCode = await post("/auth/two-factor", { token: first.body.token, code: "12345678" });
    expect(badCode.status).toBe(401);
    expect(badCode.body.code).toBe("INVALID_TWO_FACTOR_CODE");
    const withTotp = await post("/auth/two-factor", { token: first.body.token, code: totpCode(created.body.secret) });
    expect(withTotp.status).toBe(200);
    expect(withTotp.body.twoFactor).toBe(true);
    expect(typeof withTotp.body.access_token).toBe("string");

    const backup = created.body.backupCodes[0];
    const second = await post("/auth/login", { email, password });
    expect((await post("/auth/two-factor", { token: second.body.token, code: backup })).status).toBe(200);
    const third = await post("/auth/login", { email, password });
    const reused = await post("/auth/two-factor", { token: third.body.token, code: backup });
    expect(reused.status).toBe(401);

    const file = await call(server.url, "GET", `${W}/account/two-factor/backup-codes`, { headers: bearer(withTotp.body.access_token) });
    expect(file.headers.get("content-disposition")).toContain("attachment");
    expect(String(file.body).trim().split("\n")).toEqual(created.body.backupCodes.slice(1));
  });
});

describe("two-factor set-up errors and disabling", () => {
  const withAuth = (token: string, fields: Record<string, string>) => ({
    body: new URLSearchParams(fields).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", ...bearer(token) },
  });

  test("enable before set-up is TWO_FACTOR_NOT_INITIALIZE; disable needs a right code and takes the backup codes", async () => {
    const { email, password } = await confirmedUser();
    const pair = await loginPair(email, password);
    const early = await call(server.url, "PUT", `${W}/account/two-factor`, withAuth(pair.access_token, { code: "123456" }));
    expect(early.status).toBe(400);
    expect(early.body.code).toBe("TWO_FACTOR_NOT_INITIALIZE");
    const notOn = await call(server.url, "DELETE", `${W}/account/two-factor`, withAuth(pair.access_token, { code: "123456" }));
    expect(notOn.status).toBe(400);
    expect(notOn.body.code).toBe("TWO_FACTOR_NOT_INITIALIZE");

    const created = await post("/account/two-factor", {}, bearer(pair.access_token));
    await awayFromStepEdge();
    await call(server.url, "PUT", `${W}/account/two-factor`, withAuth(pair.access_token, { code: totpCode(created.body.secret, -1) }));
    const wrong = await call(server.url, "DELETE", `${W}/account/two-factor`, withAuth(pair.access_token, { code: "000000" }));
    expect(wrong.body.code).toBe("INVALID_TWO_FACTOR_TOKEN");
    const off = await call(server.url, "DELETE", `${W}/account/two-factor`, withAuth(pair.access_token, { code: totpCode(created.body.secret) }));
    expect(off.body.code).toBe("TWO_FACTOR_DISABLED");
    expect((await loginPair(email, password)).twoFactor).toBe(false);
    const file = await call(server.url, "GET", `${W}/account/two-factor/backup-codes`, { headers: bearer(pair.access_token) });
    expect(String(file.body).trim()).toBe("");
  });

  test("the account routes need a live session", async () => {
    expect((await post("/account/two-factor", {})).status).toBe(401);
    expect((await post("/account/two-factor", {}, bearer("not.a.jwt"))).body).toEqual({ code: "UNAUTHORIZED", error: "Unauthorized" });
  });
});

describe("forgotten password", () => {
  test("a mailed token sets the password once and ends every session", async () => {
    const { email, password } = await confirmedUser();
    const pair = await loginPair(email, password);
    const asked = await post("/user/forgot-password", { email });
    expect(asked.body.code).toBe("PENDING_CONFIRMATION");
    const link = linkIn(await smtp.waitFor(email));
    const token = link.split("/").pop()!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{64}$/);
    const short = await post(`/user/reset-password/${token}`, { password: "short" });
    expect(short.body.codes).toEqual({ password: "NOT_LONG_ENOUGH" });
    const updated = await post(`/user/reset-password/${token}`, { password: "brand-new-password" });
    expect(updated.body.code).toBe("UPDATED");
    expect((await post("/auth/refresh", { refresh_token: pair.refresh_token })).status).toBe(401);
    expect((await loginPair(email, "brand-new-password")).twoFactor).toBe(false);
    const again = await post(`/user/reset-password/${token}`, { password: "another-password" });
    expect(again.body.code).toBe("EXPIRED_OR_ALREADY_USED");
  });
});

describe("routes and settings", () => {
  test("an unknown route answers WolfPal's 404", async () => {
    const res = await call(server.url, "GET", `${W}/nowhere`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 404, error: "Whoops, this resource or route could not be found" });
  });

  // An HBP-only deployment gets no second open sign-up route it did not ask for.
  test("off by default (WOLFPAL_ENABLED=false): nothing is served under /wolfpal", async () => {
    const off = await startServer({});
    try {
      const res = await call(off.url, "POST", `${W}/auth/register`, { json: { username: "Nobody1", email: "n@example.com", password: "long-enough" } });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ statusCode: 404 }); // HBP's unknown path, not WolfPal's
    } finally {
      await off.stop();
    }
  });

  test("REGISTRATION_ENABLED=false: 409 REGISTRATION_DISABLED", async () => {
    const closed = await startServer({ WOLFPAL_ENABLED: "true", REGISTRATION_ENABLED: "false" });
    try {
      const res = await call(closed.url, "POST", `${W}/auth/register`, { json: { username: "Closed1", email: "c@example.com", password: "long-enough" } });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ code: "REGISTRATION_DISABLED", error: "Currently registration are disabled." });
    } finally {
      await closed.stop();
    }
  });
});
