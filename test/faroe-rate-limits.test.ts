// Every limiter of Faroe's table reached (TOO_MANY_REQUESTS), and each still in force after a restart on the same
// data directory: the counters are in the database. The login failures per IP, which share their first five tries
// with the password-hashing limiter, are told apart with a moving clock in faroe-limit-windows.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { codeForKey, createFaroeUser, faroeCaller, newTotpKey, startFaroeServer, wrongCodeForKey, type FaroeCaller } from "./support/faroe.ts";
import type { TestServer } from "./support/server.ts";
import { awayFromStepEdge } from "./support/totp.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TOO_MANY = { error: "TOO_MANY_REQUESTS" };

// A data directory of the test's own: a server started without one deletes its directory when it stops.
const dataDir = mkdtempSync(join(tmpdir(), "latchkey-faroe-limits-"));
let server: TestServer;
let faroe: FaroeCaller;
/** What each limiter refuses now; asked again after the restart. */
const probes: { name: string; probe: (faroe: FaroeCaller) => Promise<{ status: number; body: unknown }> }[] = [];
/** Per-request counters half used before the restart: the rest of the tries after it. */
const continued: { name: string; check: (faroe: FaroeCaller) => Promise<void> }[] = [];

beforeAll(async () => {
  server = await startFaroeServer({}, { dataDir });
  faroe = faroeCaller(server);
});
afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function wrongCode(code: string): string {
  return code === "AAAAAAAA" ? "BBBBBBBB" : "AAAAAAAA";
}

async function expectRefused(name: string, probe: (faroe: FaroeCaller) => Promise<{ status: number; body: unknown }>): Promise<void> {
  const res = await probe(faroe);
  expect({ name, status: res.status, body: res.body }).toEqual({ name, status: 400, body: TOO_MANY });
  probes.push({ name, probe });
}

describe("each limiter", () => {
  test("TOTP codes: 5 wrong per user, then even the right code is refused", async () => {
    const user = await createFaroeUser(faroe, "limit-totp");
    const key = newTotpKey();
    await awayFromStepEdge();
    await faroe("POST", `/users/${user.id}/totp`, { json: { totp_key: key, code: codeForKey(key, -1) } });
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await faroe("POST", `/users/${user.id}/verify-2fa/totp`, { json: { code: wrongCodeForKey(key) } });
      expect(res.body).toEqual({ error: "INCORRECT_CODE" });
    }
    await expectRefused("totp", (f) => f("POST", `/users/${user.id}/verify-2fa/totp`, { json: { code: codeForKey(key) } }));
    // The same per-user count guards the reset request's TOTP step.
    const { id } = (await faroe("POST", "/password-reset", { json: { email: user.email } })).body;
    expect((await faroe("POST", `/password-reset/${id}/verify-2fa/totp`, { json: { code: codeForKey(key) } })).body).toEqual(TOO_MANY);
  });

  test("recovery codes: 5 wrong per user, then even the right code is refused", async () => {
    const user = await createFaroeUser(faroe, "limit-recovery");
    const { recovery_code } = (await faroe("GET", `/users/${user.id}/recovery-code`)).body;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await faroe("POST", `/users/${user.id}/reset-2fa`, { json: { recovery_code: wrongCode(recovery_code) } });
      expect(res.body).toEqual({ error: "INCORRECT_CODE" });
    }
    await expectRefused("recovery code", (f) => f("POST", `/users/${user.id}/reset-2fa`, { json: { recovery_code } }));
  });

  test("login failures per address (no X-Client-IP): 5 wrong, then even the right password", async () => {
    const user = await createFaroeUser(faroe, "limit-login");
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await faroe("POST", "/login/password", { json: { email: user.email, password: `wrong-${attempt}` } });
      expect(res.body).toEqual({ error: "INCORRECT_PASSWORD" });
    }
    await expectRefused("login per address", (f) => f("POST", "/authenticate/password", { json: { email: user.email, password: user.password } }));
  });

  test("email-verification requests: 3 per user", async () => {
    const user = await createFaroeUser(faroe, "limit-verification");
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await faroe("POST", `/users/${user.id}/email-verification`, { json: { email: user.email } })).status).toBe(200);
    }
    await expectRefused("email verifications", (f) => f("POST", `/users/${user.id}/email-verification`, { json: { email: user.email } }));
  });

  test("email-verification codes: 5 wrong per request; the 6th try deletes it", async () => {
    const user = await createFaroeUser(faroe, "limit-verify-code");
    const request = (await faroe("POST", `/users/${user.id}/email-verification`, { json: { email: user.email } })).body;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await faroe("POST", `/users/${user.id}/verify-email`, { json: { request_id: request.id, code: wrongCode(request.code) } });
      expect(res.body).toEqual({ error: "INCORRECT_CODE" });
    }
    const sixth = await faroe("POST", `/users/${user.id}/verify-email`, { json: { request_id: request.id, code: request.code } });
    expect(sixth.body).toEqual(TOO_MANY);
    const after = await faroe("POST", `/users/${user.id}/verify-email`, { json: { request_id: request.id, code: request.code } });
    expect(after.body).toEqual({ error: "INVALID_REQUEST_ID" });
    expect((await faroe("GET", `/users/${user.id}`)).body.email_verified).toBe(false);

    // Another request: 3 wrong tries now, 2 after the restart, and the 6th is refused.
    const other = (await faroe("POST", `/users/${user.id}/email-verification`, { json: { email: user.email } })).body;
    const verify = (f: FaroeCaller, code: string) => f("POST", `/users/${user.id}/verify-email`, { json: { request_id: other.id, code } });
    for (let attempt = 1; attempt <= 3; attempt++) expect((await verify(faroe, wrongCode(other.code))).body).toEqual({ error: "INCORRECT_CODE" });
    continued.push({
      name: "email-verification codes",
      async check(f) {
        for (let attempt = 4; attempt <= 5; attempt++) expect((await verify(f, wrongCode(other.code))).body).toEqual({ error: "INCORRECT_CODE" });
        expect((await verify(f, other.code)).body).toEqual(TOO_MANY);
      },
    });
  });

  test("password-reset requests: 3 per user (no X-Client-IP)", async () => {
    const user = await createFaroeUser(faroe, "limit-reset-user");
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await faroe("POST", "/password-reset", { json: { email: user.email } })).status).toBe(200);
    }
    await expectRefused("reset requests per user", (f) => f("POST", "/password-reset", { json: { email: user.email } }));
  });

  test("password-reset requests: 3 per X-Client-IP, whatever the address", async () => {
    const users = await Promise.all([1, 2, 3, 4].map((n) => createFaroeUser(faroe, `limit-reset-ip-${n}`)));
    const ip = "203.0.113.30";
    for (const user of users.slice(0, 3)) {
      expect((await faroe("POST", "/password-reset", { json: { email: user.email }, ip })).status).toBe(200);
    }
    await expectRefused("reset requests per IP", (f) => f("POST", "/password-reset", { json: { email: users[3]!.email }, ip }));
    expect((await faroe("POST", "/password-reset", { json: { email: users[3]!.email }, ip: "203.0.113.31" })).status).toBe(200);
  });

  test("password-reset codes: 5 wrong per request; the 6th try deletes it", async () => {
    const user = await createFaroeUser(faroe, "limit-reset-code");
    const request = (await faroe("POST", "/password-reset", { json: { email: user.email } })).body;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await faroe("POST", `/password-reset/${request.id}/verify-email`, { json: { code: wrongCode(request.code) } });
      expect(res.body).toEqual({ error: "INCORRECT_CODE" });
    }
    const sixth = await faroe("POST", `/password-reset/${request.id}/verify-email`, { json: { code: request.code } });
    expect(sixth.body).toEqual(TOO_MANY);
    expect((await faroe("GET", `/password-reset/${request.id}`)).status).toBe(404);

    const other = (await faroe("POST", "/password-reset", { json: { email: user.email } })).body;
    const verify = (f: FaroeCaller, code: string) => f("POST", `/password-reset/${other.id}/verify-email`, { json: { code } });
    for (let attempt = 1; attempt <= 3; attempt++) expect((await verify(faroe, wrongCode(other.code))).body).toEqual({ error: "INCORRECT_CODE" });
    continued.push({
      name: "password-reset codes",
      async check(f) {
        for (let attempt = 4; attempt <= 5; attempt++) expect((await verify(f, wrongCode(other.code))).body).toEqual({ error: "INCORRECT_CODE" });
        expect((await verify(f, other.code)).body).toEqual(TOO_MANY);
      },
    });
  });

  test("password hashing on a password change: always counted, per user without X-Client-IP", async () => {
    const user = await createFaroeUser(faroe, "limit-hash-user");
    // Refused after the count, before any hashing: cheap tries that still count.
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await faroe("POST", `/users/${user.id}/password`, { json: { password: user.password, new_password: "short" } });
      expect(res.body).toEqual({ error: "WEAK_PASSWORD" });
    }
    await expectRefused("password hashing per user", (f) =>
      f("POST", `/users/${user.id}/password`, { json: { password: user.password, new_password: "new-password-456" } }),
    );
  });

  test("password hashing per X-Client-IP: 5 in the window on any hashing route, then refused", async () => {
    const user = await createFaroeUser(faroe, "limit-hash-ip");
    const ip = "198.51.100.20";
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await faroe("POST", "/users", { json: { email: user.email, password: "password-123" }, ip });
      expect(res.body).toEqual({ error: "EMAIL_ALREADY_USED" });
    }
    await expectRefused("password hashing per IP", (f) => f("POST", "/login/password", { json: { email: user.email, password: user.password }, ip }));
    expect((await faroe("POST", "/reset-password", { json: { request_id: "x", password: "password-123" }, ip })).body).toEqual(TOO_MANY);
    // Another client of the same backend is not affected.
    expect((await faroe("POST", "/login/password", { json: { email: user.email, password: user.password }, ip: "198.51.100.21" })).status).toBe(200);
  });
});

describe("after a restart on the same data directory", () => {
  test("every limiter above still refuses", async () => {
    expect(probes.length).toBe(8);
    expect(continued.length).toBe(2);
    await server.stop();
    server = await startFaroeServer({}, { dataDir });
    faroe = faroeCaller(server);
    for (const { name, probe } of probes) {
      const res = await probe(faroe);
      expect({ name, status: res.status, body: res.body }).toEqual({ name, status: 400, body: TOO_MANY });
    }
    for (const { check } of continued) await check(faroe);
  });
});
