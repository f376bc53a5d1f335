// TOTP two-factor: enrolment, sign-in with ticket + code, replay, wrong codes and their rate limit, disabling.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ OTP_ISSUER: "Example" });
});
afterAll(() => server.stop());

async function newUser(): Promise<{ email: string; jwt: string }> {
  const email = `mfa-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123", cookie: false } });
  return { email, jwt: res.body.jwt_token };
}

const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

/** Generates and enables TOTP with the previous step's code, leaving the current step's code unused. */
async function enrol(jwt: string): Promise<string> {
  const generated = await call(server.url, "POST", "/auth/mfa/generate", { headers: bearer(jwt) });
  expect(generated.status).toBe(200);
  await awayFromStepEdge();
  const enabled = await call(server.url, "POST", "/auth/mfa/enable", { headers: bearer(jwt), json: { code: totpCode(generated.body.otp_secret, -1) } });
  expect(enabled.status).toBe(204);
  return generated.body.otp_secret;
}

describe("enrolment", () => {
  test("generate answers a PNG QR code and a base32 secret", async () => {
    const { jwt } = await newUser();
    const res = await call(server.url, "POST", "/auth/mfa/generate", { headers: bearer(jwt) });
    expect(res.status).toBe(200);
    expect(res.body.otp_secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(res.body.image_url).toStartWith("data:image/png;base64,");
    const png = Buffer.from(res.body.image_url.slice("data:image/png;base64,".length), "base64");
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  test("enable refuses a wrong code, and needs generate first", async () => {
    const { jwt } = await newUser();
    const missing = await call(server.url, "POST", "/auth/mfa/enable", { headers: bearer(jwt), json: { code: "123456" } });
    expect(missing.body).toEqual({ statusCode: 400, error: "Bad Request", message: "OTP secret is not set." });
    await call(server.url, "POST", "/auth/mfa/generate", { headers: bearer(jwt) });
    const wrong = await call(server.url, "POST", "/auth/mfa/enable", { headers: bearer(jwt), json: { code: "000000" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe("Invalid two-factor code.");
  });

  test("needs a signed-in user", async () => {
    const res = await call(server.url, "POST", "/auth/mfa/generate");
    expect(res.status).toBe(401);
  });

  test("a second enable or a generate while enabled is refused", async () => {
    const { jwt } = await newUser();
    const secret = await enrol(jwt);
    const again = await call(server.url, "POST", "/auth/mfa/enable", { headers: bearer(jwt), json: { code: totpCode(secret) } });
    expect(again.body.message).toBe("MFA is already enabled.");
    const regenerate = await call(server.url, "POST", "/auth/mfa/generate", { headers: bearer(jwt) });
    expect(regenerate.status).toBe(400);
  });
});

describe("sign-in with TOTP", () => {
  test("login answers {mfa, ticket}; ticket + code give the session; the code cannot be replayed", async () => {
    const { email, jwt } = await newUser();
    const secret = await enrol(jwt);

    const login = await call(server.url, "POST", "/auth/login", { json: { email, password: "password-123" } });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ mfa: true, ticket: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(login.cookies).toEqual([]);

    const code = totpCode(secret);
    const session = await call(server.url, "POST", "/auth/mfa/totp", { json: { ticket: login.body.ticket, code, cookie: false } });
    expect(session.status).toBe(200);
    expect(session.body.refresh_token).toMatch(/^[0-9a-f-]{36}$/);
    expect(session.body.user.email).toBe(email);

    // The ticket is spent.
    const reuseTicket = await call(server.url, "POST", "/auth/mfa/totp", { json: { ticket: login.body.ticket, code } });
    expect(reuseTicket.status).toBe(401);
    expect(reuseTicket.body.message).toBe("Invalid or expired ticket.");

    // The same code with a fresh ticket: a replay.
    const second = await call(server.url, "POST", "/auth/login", { json: { email, password: "password-123" } });
    const replay = await call(server.url, "POST", "/auth/mfa/totp", { json: { ticket: second.body.ticket, code } });
    expect(replay.status).toBe(401);
    expect(replay.body.message).toBe("Invalid two-factor code.");
  });

  test("wrong codes are refused and counted: the 6th attempt is rate limited", async () => {
    const { email, jwt } = await newUser();
    const secret = await enrol(jwt);
    const login = await call(server.url, "POST", "/auth/login", { json: { email, password: "password-123" } });
    const right = totpCode(secret);
    const wrong = right === "000000" ? "111111" : "000000";
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await call(server.url, "POST", "/auth/mfa/totp", { json: { ticket: login.body.ticket, code: wrong } });
      expect(res.status).toBe(401);
    }
    const limited = await call(server.url, "POST", "/auth/mfa/totp", { json: { ticket: login.body.ticket, code: right } });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ statusCode: 429, error: "Too Many Requests", message: "You are being rate limited." });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("a malformed ticket or code is refused", async () => {
    const bad = await call(server.url, "POST", "/auth/mfa/totp", { json: { ticket: "nope", code: "123456" } });
    expect(bad.status).toBe(401);
    const noCode = await call(server.url, "POST", "/auth/mfa/totp", { json: { ticket: crypto.randomUUID() } });
    expect(noCode.status).toBe(400);
  });
});

describe("disable", () => {
  test("needs a right code; afterwards login answers a session again", async () => {
    const { email, jwt } = await newUser();
    const secret = await enrol(jwt);
    const wrong = await call(server.url, "POST", "/auth/mfa/disable", { headers: bearer(jwt), json: { code: "000000" } });
    expect(wrong.status).toBe(401);
    const res = await call(server.url, "POST", "/auth/mfa/disable", { headers: bearer(jwt), json: { code: totpCode(secret) } });
    expect(res.status).toBe(204);
    const login = await call(server.url, "POST", "/auth/login", { json: { email, password: "password-123", cookie: false } });
    expect(login.body.jwt_token).toBeString();
    const again = await call(server.url, "POST", "/auth/mfa/disable", { headers: bearer(jwt), json: { code: totpCode(secret) } });
    expect(again.body.message).toBe("MFA is not enabled.");
  });
});

describe("MFA_ENABLED=false", () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startServer({ MFA_ENABLED: "false" });
  });
  afterAll(() => off.stop());

  test("enrolment routes answer 404 naming the setting", async () => {
    const registered = await call(off.url, "POST", "/auth/register", { json: { email: "x@example.com", password: "password-123", cookie: false } });
    for (const path of ["/auth/mfa/generate", "/auth/mfa/enable", "/auth/mfa/disable"]) {
      const res = await call(off.url, "POST", path, { headers: bearer(registered.body.jwt_token), json: path.endsWith("generate") ? undefined : { code: "123456" } });
      expect(res.status).toBe(404);
      expect(res.body.message).toBe("Two-factor authentication is disabled; set MFA_ENABLED=true");
    }
  });

  test("and to a caller without credentials too: the setting is checked before the caller", async () => {
    for (const path of ["/auth/mfa/generate", "/auth/mfa/enable", "/auth/mfa/disable"]) {
      const res = await call(off.url, "POST", path, { json: path.endsWith("generate") ? undefined : { code: "123456" } });
      expect(res.status).toBe(404);
      expect(res.body.message).toBe("Two-factor authentication is disabled; set MFA_ENABLED=true");
    }
  });
});
