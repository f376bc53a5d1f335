// Faroe's second factor: register/get/delete/verify a TOTP credential (keys as base64), recovery codes, and the
// credential holding in HBP's login too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Secret } from "otpauth";
import { codeForKey, createFaroeUser, FAROE_CODE, FAROE_ID, faroeCaller, newTotpKey, startFaroeServer, wrongCodeForKey, type FaroeCaller } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import type { TestServer } from "./support/server.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

let server: TestServer;
let faroe: FaroeCaller;
beforeAll(async () => {
  server = await startFaroeServer();
  faroe = faroeCaller(server);
});
afterAll(() => server.stop());

/** Registers a key with the previous step's code, so the current step's code is still unused. */
async function register(userId: string, key = newTotpKey()): Promise<string> {
  await awayFromStepEdge();
  const res = await faroe("POST", `/users/${userId}/totp`, { json: { totp_key: key, code: codeForKey(key, -1) } });
  expect(res.status).toBe(200);
  return key;
}

describe("POST /users/[id]/totp", () => {
  test("answers the TOTP credential model; the user now has registered_totp", async () => {
    const user = await createFaroeUser(faroe, "totp");
    const key = newTotpKey();
    await awayFromStepEdge();
    const res = await faroe("POST", `/users/${user.id}/totp`, { json: { totp_key: key, code: codeForKey(key) } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: expect.stringMatching(FAROE_ID), user_id: user.id, created_at: expect.any(Number), key });
    expect((await faroe("GET", `/users/${user.id}`)).body.registered_totp).toBe(true);
    expect((await faroe("GET", `/users/${user.id}/totp`)).body).toEqual(res.body);
  });

  test("takes `key` too (Faroe's code), and replaces an earlier credential", async () => {
    const user = await createFaroeUser(faroe, "totp-key");
    const first = await register(user.id);
    const second = newTotpKey();
    const res = await faroe("POST", `/users/${user.id}/totp`, { json: { key: second, code: codeForKey(second) } });
    expect(res.status).toBe(200);
    expect(res.body.key).toBe(second);
    const current = await faroe("GET", `/users/${user.id}/totp`);
    expect(current.body.key).toBe(second);
    expect(current.body.key).not.toBe(first);
  });

  test("INVALID_DATA for a key that is not base64 of 20 bytes, INCORRECT_CODE, 404", async () => {
    const user = await createFaroeUser(faroe, "totp-errors");
    const key = newTotpKey();
    const cases: [unknown, string][] = [
      [{ totp_key: "not base64!", code: "123456" }, "INVALID_DATA"],
      [{ totp_key: Buffer.alloc(16).toString("base64"), code: "123456" }, "INVALID_DATA"],
      [{ totp_key: Buffer.alloc(32).toString("base64"), code: "123456" }, "INVALID_DATA"],
      [{ code: "123456" }, "INVALID_DATA"],
      [{ totp_key: key }, "INVALID_DATA"],
      [{ totp_key: key, code: wrongCodeForKey(key) }, "INCORRECT_CODE"],
      [{ totp_key: key, code: "12345" }, "INCORRECT_CODE"],
      [{ totp_key: key, code: "abcdef" }, "INCORRECT_CODE"],
    ];
    for (const [json, error] of cases) {
      const res = await faroe("POST", `/users/${user.id}/totp`, { json });
      expect({ json, status: res.status, body: res.body }).toEqual({ json, status: 400, body: { error } });
    }
    expect((await faroe("GET", `/users/${user.id}/totp`)).status).toBe(404);
    const unknown = await faroe("POST", "/users/nobody/totp", { json: { totp_key: key, code: codeForKey(key) } });
    expect(unknown.status).toBe(404);
  });
});

describe("GET and DELETE /users/[id]/totp", () => {
  test("404 without a credential; delete answers 204 and the user no longer has one", async () => {
    const user = await createFaroeUser(faroe, "totp-delete");
    const none = await faroe("GET", `/users/${user.id}/totp`);
    expect(none.status).toBe(404);
    expect(none.body).toEqual({ error: "NOT_FOUND" });
    expect((await faroe("DELETE", `/users/${user.id}/totp`)).status).toBe(404);
    await register(user.id);
    const deleted = await faroe("DELETE", `/users/${user.id}/totp`);
    expect(deleted.status).toBe(204);
    expect((await faroe("GET", `/users/${user.id}/totp`)).status).toBe(404);
    expect((await faroe("GET", `/users/${user.id}`)).body.registered_totp).toBe(false);
    expect((await faroe("DELETE", "/users/nobody/totp")).status).toBe(404);
  });

  test("a credential enrolled through HBP is a Faroe credential (base32 there, base64 here)", async () => {
    const user = await createFaroeUser(faroe, "totp-hbp");
    const session = await call(server.url, "POST", "/auth/login", { json: { email: user.email, password: user.password, cookie: false } });
    const bearer = { authorization: `Bearer ${session.body.jwt_token}` };
    const generated = await call(server.url, "POST", "/auth/mfa/generate", { headers: bearer });
    // Generated but not yet enabled: not a credential.
    expect((await faroe("GET", `/users/${user.id}/totp`)).status).toBe(404);
    await awayFromStepEdge();
    const enabled = await call(server.url, "POST", "/auth/mfa/enable", { headers: bearer, json: { code: totpCode(generated.body.otp_secret, -1) } });
    expect(enabled.status).toBe(204);
    const res = await faroe("GET", `/users/${user.id}/totp`);
    expect(res.status).toBe(200);
    expect(Buffer.from(res.body.key, "base64")).toEqual(Buffer.from(Secret.fromBase32(generated.body.otp_secret).bytes));
  });
});

describe("POST /users/[id]/verify-2fa/totp", () => {
  test("204 for a right code, once: the same code again is refused (replay)", async () => {
    const user = await createFaroeUser(faroe, "verify-totp");
    const key = await register(user.id);
    const code = codeForKey(key);
    const res = await faroe("POST", `/users/${user.id}/verify-2fa/totp`, { json: { code } });
    expect(res.status).toBe(204);
    const replay = await faroe("POST", `/users/${user.id}/verify-2fa/totp`, { json: { code } });
    expect(replay.body).toEqual({ error: "INCORRECT_CODE" });
  });

  test("INCORRECT_CODE, SECOND_FACTOR_NOT_ALLOWED without a credential, INVALID_DATA, 404", async () => {
    const user = await createFaroeUser(faroe, "verify-totp-errors");
    const none = await faroe("POST", `/users/${user.id}/verify-2fa/totp`, { json: { code: "123456" } });
    expect(none.body).toEqual({ error: "SECOND_FACTOR_NOT_ALLOWED" });
    const key = await register(user.id);
    const wrong = await faroe("POST", `/users/${user.id}/verify-2fa/totp`, { json: { code: wrongCodeForKey(key) } });
    expect(wrong.body).toEqual({ error: "INCORRECT_CODE" });
    const missing = await faroe("POST", `/users/${user.id}/verify-2fa/totp`, { json: {} });
    expect(missing.body).toEqual({ error: "INVALID_DATA" });
    expect((await faroe("POST", "/users/nobody/verify-2fa/totp", { json: { code: "123456" } })).status).toBe(404);
  });
});

describe("one user base", () => {
  test("a credential registered through Faroe makes HBP's login ask for the second factor", async () => {
    const user = await createFaroeUser(faroe, "totp-shared");
    const key = await register(user.id);
    const login = await call(server.url, "POST", "/auth/login", { json: { email: user.email, password: user.password, cookie: false } });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ mfa: true, ticket: expect.any(String) });
    const session = await call(server.url, "POST", "/auth/mfa/totp", { json: { ticket: login.body.ticket, code: codeForKey(key), cookie: false } });
    expect(session.status).toBe(200);
    expect(session.body.user.id).toBe(user.id);
    // Faroe's login answers the user with registered_totp; the caller asks for the code itself.
    const faroeLogin = await faroe("POST", "/login/password", { json: { email: user.email, password: user.password } });
    expect(faroeLogin.body.registered_totp).toBe(true);
  });
});

describe("recovery codes", () => {
  test("read, regenerate (a new code replaces the old), 404 for unknown users", async () => {
    const user = await createFaroeUser(faroe, "recovery");
    const first = await faroe("GET", `/users/${user.id}/recovery-code`);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ recovery_code: expect.stringMatching(FAROE_CODE) });
    expect((await faroe("GET", `/users/${user.id}/recovery-code`)).body).toEqual(first.body);
    const regenerated = await faroe("POST", `/users/${user.id}/regenerate-recovery-code`);
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.recovery_code).not.toBe(first.body.recovery_code);
    expect((await faroe("GET", `/users/${user.id}/recovery-code`)).body).toEqual(regenerated.body);
    expect((await faroe("GET", "/users/nobody/recovery-code")).status).toBe(404);
    expect((await faroe("POST", "/users/nobody/regenerate-recovery-code")).status).toBe(404);
  });

  test("reset-2fa: the right code turns TOTP off and answers a new code; the old code is spent", async () => {
    const user = await createFaroeUser(faroe, "reset-2fa");
    await register(user.id);
    const { recovery_code } = (await faroe("GET", `/users/${user.id}/recovery-code`)).body;
    const wrong = await faroe("POST", `/users/${user.id}/reset-2fa`, { json: { recovery_code: recovery_code === "AAAAAAAA" ? "BBBBBBBB" : "AAAAAAAA" } });
    expect(wrong.body).toEqual({ error: "INCORRECT_CODE" });
    expect((await faroe("GET", `/users/${user.id}`)).body.registered_totp).toBe(true);

    const res = await faroe("POST", `/users/${user.id}/reset-2fa`, { json: { recovery_code } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ recovery_code: expect.stringMatching(FAROE_CODE) });
    expect(res.body.recovery_code).not.toBe(recovery_code);
    expect((await faroe("GET", `/users/${user.id}`)).body.registered_totp).toBe(false);
    expect((await faroe("GET", `/users/${user.id}/recovery-code`)).body).toEqual(res.body);
    const spent = await faroe("POST", `/users/${user.id}/reset-2fa`, { json: { recovery_code } });
    expect(spent.body).toEqual({ error: "INCORRECT_CODE" });
    // HBP's login no longer asks for a code.
    const login = await call(server.url, "POST", "/auth/login", { json: { email: user.email, password: user.password, cookie: false } });
    expect(login.body.jwt_token).toBeString();
    expect((await faroe("POST", "/users/nobody/reset-2fa", { json: { recovery_code } })).status).toBe(404);
    expect((await faroe("POST", `/users/${user.id}/reset-2fa`, { json: {} })).body).toEqual({ error: "INVALID_DATA" });
  });
});
