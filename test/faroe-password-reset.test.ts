// Faroe password reset: create a request (the caller mails the code), prove the address, prove the second factor
// when the user has one (TOTP, or a recovery code that turns it off), set the new password.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { codeForKey, createFaroeUser, FAROE_CODE, FAROE_ID, faroeCaller, newTotpKey, startFaroeServer, uniqueEmail, wrongCodeForKey, type FaroeCaller } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import type { TestServer } from "./support/server.ts";
import { awayFromStepEdge } from "./support/totp.ts";

let server: TestServer;
let faroe: FaroeCaller;
beforeAll(async () => {
  server = await startFaroeServer();
  faroe = faroeCaller(server);
});
afterAll(() => server.stop());

const NEW_PASSWORD = "brand-new-password";

const hbpLogin = (email: string, password: string) =>
  call(server.url, "POST", "/auth/login", { json: { email, password, cookie: false } });

async function createRequest(email: string): Promise<{ id: string; code: string }> {
  const res = await faroe("POST", "/password-reset", { json: { email } });
  expect(res.status).toBe(200);
  return res.body;
}

function wrongCode(code: string): string {
  return code === "AAAAAAAA" ? "BBBBBBBB" : "AAAAAAAA";
}

describe("the whole flow", () => {
  test("without TOTP: create, verify the code, reset; the new password works through Faroe and HBP", async () => {
    const user = await createFaroeUser(faroe, "reset");
    const session = await hbpLogin(user.email, user.password);
    const created = await faroe("POST", "/password-reset", { json: { email: user.email.toUpperCase() } });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(FAROE_ID),
      user_id: user.id,
      created_at: expect.any(Number),
      expires_at: expect.any(Number),
      email: user.email,
      email_verified: false,
      two_factor_verified: false,
      twoFactorVerified: false,
      code: expect.stringMatching(FAROE_CODE),
    });
    expect(created.body.expires_at - created.body.created_at).toBe(600);
    const { id, code } = created.body;

    // The code is shown once.
    const read = await faroe("GET", `/password-reset/${id}`);
    expect(read.body).toEqual({ ...created.body, code: undefined });
    expect(read.body.code).toBeUndefined();
    expect((await faroe("GET", `/password-reset/${id}/user`)).body).toMatchObject({ id: user.id, email: user.email });

    const early = await faroe("POST", "/reset-password", { json: { request_id: id, password: NEW_PASSWORD } });
    expect(early.body).toEqual({ error: "EMAIL_NOT_VERIFIED" });

    const wrong = await faroe("POST", `/password-reset/${id}/verify-email`, { json: { code: wrongCode(code) } });
    expect(wrong.body).toEqual({ error: "INCORRECT_CODE" });
    const verified = await faroe("POST", `/password-reset/${id}/verify-email`, { json: { code } });
    expect(verified.status).toBe(204);
    expect((await faroe("GET", `/password-reset/${id}`)).body.email_verified).toBe(true);

    const reset = await faroe("POST", "/reset-password", { json: { request_id: id, password: NEW_PASSWORD } });
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({ id: user.id, created_at: expect.any(Number), email: user.email, email_verified: true, registered_totp: false });

    expect((await faroe("POST", "/login/password", { json: { email: user.email, password: NEW_PASSWORD } })).body.id).toBe(user.id);
    expect((await faroe("POST", "/login/password", { json: { email: user.email, password: user.password } })).body).toEqual({ error: "INCORRECT_PASSWORD" });
    expect((await hbpLogin(user.email, NEW_PASSWORD)).status).toBe(200);
    expect((await hbpLogin(user.email, user.password)).status).toBe(401);
    // Sessions from before the reset are over; the request is used up.
    expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${session.body.refresh_token}`)).status).toBe(401);
    expect((await faroe("GET", `/password-reset/${id}`)).status).toBe(404);
    expect((await faroe("POST", "/reset-password", { json: { request_id: id, password: NEW_PASSWORD } })).body).toEqual({ error: "INVALID_REQUEST_ID" });
  });

  test("with TOTP: the code of the second factor is needed too", async () => {
    const user = await createFaroeUser(faroe, "reset-totp");
    const key = newTotpKey();
    await awayFromStepEdge();
    expect((await faroe("POST", `/users/${user.id}/totp`, { json: { totp_key: key, code: codeForKey(key, -1) } })).status).toBe(200);

    const { id, code } = await createRequest(user.email);
    expect((await faroe("POST", `/password-reset/${id}/verify-email`, { json: { code } })).status).toBe(204);
    const notYet = await faroe("POST", "/reset-password", { json: { request_id: id, password: NEW_PASSWORD } });
    expect(notYet.body).toEqual({ error: "SECOND_FACTOR_NOT_VERIFIED" });

    const wrong = await faroe("POST", `/password-reset/${id}/verify-2fa/totp`, { json: { code: wrongCodeForKey(key) } });
    expect(wrong.body).toEqual({ error: "INCORRECT_CODE" });
    const totp = await faroe("POST", `/password-reset/${id}/verify-2fa/totp`, { json: { code: codeForKey(key) } });
    expect(totp.status).toBe(204);
    expect((await faroe("GET", `/password-reset/${id}`)).body).toMatchObject({ email_verified: true, two_factor_verified: true, twoFactorVerified: true });

    const reset = await faroe("POST", "/reset-password", { json: { request_id: id, password: NEW_PASSWORD } });
    expect(reset.status).toBe(200);
    expect(reset.body.registered_totp).toBe(true);
    // Through HBP: the new password, then the second factor.
    const login = await hbpLogin(user.email, NEW_PASSWORD);
    expect(login.body).toEqual({ mfa: true, ticket: expect.any(String) });
    expect((await faroe("POST", "/authenticate/password", { json: { email: user.email, password: NEW_PASSWORD } })).status).toBe(200);
  });

  test("with TOTP but its recovery code: reset-2fa turns TOTP off and answers the new recovery code", async () => {
    const user = await createFaroeUser(faroe, "reset-recovery");
    const key = newTotpKey();
    await awayFromStepEdge();
    await faroe("POST", `/users/${user.id}/totp`, { json: { totp_key: key, code: codeForKey(key) } });
    const { recovery_code } = (await faroe("GET", `/users/${user.id}/recovery-code`)).body;

    const { id, code } = await createRequest(user.email);
    const early = await faroe("POST", `/password-reset/${id}/reset-2fa`, { json: { recovery_code } });
    expect(early.body).toEqual({ error: "EMAIL_NOT_VERIFIED" });
    await faroe("POST", `/password-reset/${id}/verify-email`, { json: { code } });
    const wrong = await faroe("POST", `/password-reset/${id}/reset-2fa`, { json: { recovery_code: wrongCode(recovery_code) } });
    expect(wrong.body).toEqual({ error: "INCORRECT_CODE" });
    const res = await faroe("POST", `/password-reset/${id}/reset-2fa`, { json: { recovery_code } });
    expect(res.status).toBe(200);
    expect(res.body.recovery_code).toMatch(FAROE_CODE);
    expect(res.body.recovery_code).not.toBe(recovery_code);

    const reset = await faroe("POST", "/reset-password", { json: { request_id: id, password: NEW_PASSWORD } });
    expect(reset.status).toBe(200);
    expect(reset.body.registered_totp).toBe(false);
    expect((await hbpLogin(user.email, NEW_PASSWORD)).body.jwt_token).toBeString();
  });
});

describe("errors", () => {
  test("POST /password-reset: INVALID_EMAIL, USER_NOT_EXISTS, INVALID_DATA", async () => {
    for (const [json, error] of [
      [{ email: "nope" }, "INVALID_EMAIL"],
      [{ email: uniqueEmail("nobody") }, "USER_NOT_EXISTS"],
      [{}, "INVALID_DATA"],
    ] as const) {
      const res = await faroe("POST", "/password-reset", { json });
      expect({ json, status: res.status, body: res.body }).toEqual({ json, status: 400, body: { error } });
    }
  });

  test("a new request replaces the user's earlier unverified ones", async () => {
    const user = await createFaroeUser(faroe, "reset-replace");
    const first = await createRequest(user.email);
    const second = await createRequest(user.email);
    expect((await faroe("GET", `/password-reset/${first.id}`)).status).toBe(404);
    expect((await faroe("GET", `/password-reset/${second.id}`)).status).toBe(200);
  });

  test("unknown requests: 404 on their own paths, INVALID_REQUEST_ID in /reset-password", async () => {
    const unknown = "abcdefghijkmnpqrstuvwxyz";
    for (const [method, path, json] of [
      ["GET", `/password-reset/${unknown}`, undefined],
      ["DELETE", `/password-reset/${unknown}`, undefined],
      ["GET", `/password-reset/${unknown}/user`, undefined],
      ["POST", `/password-reset/${unknown}/verify-email`, { code: "AAAAAAAA" }],
      ["POST", `/password-reset/${unknown}/verify-2fa/totp`, { code: "123456" }],
      ["POST", `/password-reset/${unknown}/reset-2fa`, { recovery_code: "AAAAAAAA" }],
    ] as const) {
      const res = await faroe(method, path, { json });
      expect({ method, path, status: res.status, body: res.body }).toEqual({ method, path, status: 404, body: { error: "NOT_FOUND" } });
    }
    const reset = await faroe("POST", "/reset-password", { json: { request_id: unknown, password: NEW_PASSWORD } });
    expect(reset.body).toEqual({ error: "INVALID_REQUEST_ID" });
  });

  test("verify-2fa without TOTP: SECOND_FACTOR_NOT_ALLOWED; bad bodies: INVALID_DATA", async () => {
    const user = await createFaroeUser(faroe, "reset-no-totp");
    const { id } = await createRequest(user.email);
    expect((await faroe("POST", `/password-reset/${id}/verify-2fa/totp`, { json: { code: "123456" } })).body).toEqual({ error: "SECOND_FACTOR_NOT_ALLOWED" });
    expect((await faroe("POST", `/password-reset/${id}/verify-email`, { json: {} })).body).toEqual({ error: "INVALID_DATA" });
    expect((await faroe("POST", `/password-reset/${id}/reset-2fa`, { json: {} })).body).toEqual({ error: "INVALID_DATA" });
    expect((await faroe("POST", "/reset-password", { json: { request_id: id } })).body).toEqual({ error: "INVALID_DATA" });
  });

  test("POST /reset-password: WEAK_PASSWORD, INVALID_DATA for more than 255 bytes; the request survives both", async () => {
    const user = await createFaroeUser(faroe, "reset-weak");
    const { id, code } = await createRequest(user.email);
    await faroe("POST", `/password-reset/${id}/verify-email`, { json: { code } });
    expect((await faroe("POST", "/reset-password", { json: { request_id: id, password: "short" } })).body).toEqual({ error: "WEAK_PASSWORD" });
    expect((await faroe("POST", "/reset-password", { json: { request_id: id, password: "x".repeat(256) } })).body).toEqual({ error: "INVALID_DATA" });
    expect((await faroe("POST", "/reset-password", { json: { request_id: id, password: NEW_PASSWORD } })).status).toBe(200);
  });

  test("DELETE /password-reset/[id]: 204, then the request is gone", async () => {
    const user = await createFaroeUser(faroe, "reset-delete");
    const { id } = await createRequest(user.email);
    expect((await faroe("DELETE", `/password-reset/${id}`)).status).toBe(204);
    expect((await faroe("GET", `/password-reset/${id}`)).status).toBe(404);
  });
});
