// Faroe email verification: create a request (the caller mails the code), read it, delete it, verify it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createFaroeUser, FAROE_CODE, FAROE_ID, faroeCaller, startFaroeServer, uniqueEmail, type FaroeCaller } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import type { TestServer } from "./support/server.ts";

let server: TestServer;
let faroe: FaroeCaller;
beforeAll(async () => {
  server = await startFaroeServer();
  faroe = faroeCaller(server);
});
afterAll(() => server.stop());


describe("POST /users/[id]/email-verification", () => {
  test("answers the request model with its code, expiring in 10 minutes", async () => {
    const user = await createFaroeUser(faroe, "verify");
    const res = await faroe("POST", `/users/${user.id}/email-verification`, { json: { email: user.email } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: expect.stringMatching(FAROE_ID),
      user_id: user.id,
      created_at: expect.any(Number),
      expires_at: expect.any(Number),
      email: user.email,
      code: expect.stringMatching(FAROE_CODE),
    });
    expect(res.body.expires_at - res.body.created_at).toBe(600);
    const again = await faroe("GET", `/users/${user.id}/email-verification/${res.body.id}`);
    expect(again.body).toEqual(res.body);
  });

  test("INVALID_EMAIL, EMAIL_ALREADY_USED (another account's address), INVALID_DATA, 404", async () => {
    const user = await createFaroeUser(faroe, "verify-errors");
    const other = await createFaroeUser(faroe, "other");
    const cases: [unknown, string][] = [
      [{ email: "nope" }, "INVALID_EMAIL"],
      [{ email: other.email }, "EMAIL_ALREADY_USED"],
      [{ address: user.email }, "INVALID_DATA"],
    ];
    for (const [json, error] of cases) {
      const res = await faroe("POST", `/users/${user.id}/email-verification`, { json });
      expect({ json, status: res.status, body: res.body }).toEqual({ json, status: 400, body: { error } });
    }
    const unknown = await faroe("POST", "/users/nobody/email-verification", { json: { email: uniqueEmail("x") } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: "NOT_FOUND" });
  });
});

describe("GET and DELETE /users/[id]/email-verification/[rid]", () => {
  test("a request is only found under its own user; deleting answers 204, then 404", async () => {
    const user = await createFaroeUser(faroe, "verify-get");
    const other = await createFaroeUser(faroe, "verify-get-other");
    const created = await faroe("POST", `/users/${user.id}/email-verification`, { json: { email: uniqueEmail("new") } });
    const path = `/users/${user.id}/email-verification/${created.body.id}`;
    expect((await faroe("GET", `/users/${other.id}/email-verification/${created.body.id}`)).status).toBe(404);
    expect((await faroe("DELETE", `/users/${other.id}/email-verification/${created.body.id}`)).status).toBe(404);
    expect((await faroe("GET", path)).status).toBe(200);
    const deleted = await faroe("DELETE", path);
    expect(deleted.status).toBe(204);
    const gone = await faroe("GET", path);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: "NOT_FOUND" });
    expect((await faroe("DELETE", path)).status).toBe(404);
  });
});

describe("POST /users/[id]/verify-email", () => {
  test("the right code sets the address, verified, and answers the user; the request is used up", async () => {
    const user = await createFaroeUser(faroe, "verify-flow");
    const newEmail = uniqueEmail("Verified-New");
    const created = await faroe("POST", `/users/${user.id}/email-verification`, { json: { email: newEmail } });
    const res = await faroe("POST", `/users/${user.id}/verify-email`, { json: { request_id: created.body.id, code: created.body.code } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: user.id,
      created_at: expect.any(Number),
      email: newEmail.toLowerCase(),
      email_verified: true,
      registered_totp: false,
    });
    // The account has the new address everywhere.
    expect((await call(server.url, "POST", "/auth/login", { json: { email: newEmail, password: user.password, cookie: false } })).status).toBe(200);
    expect((await faroe("POST", "/login/password", { json: { email: user.email, password: user.password } })).body).toEqual({ error: "USER_NOT_EXISTS" });
    const reused = await faroe("POST", `/users/${user.id}/verify-email`, { json: { request_id: created.body.id, code: created.body.code } });
    expect(reused.body).toEqual({ error: "INVALID_REQUEST_ID" });
  });

  test("verifying the current address marks it verified; the user's reset requests are dropped", async () => {
    const user = await createFaroeUser(faroe, "verify-own");
    const reset = await faroe("POST", "/password-reset", { json: { email: user.email } });
    expect(reset.status).toBe(200);
    const created = await faroe("POST", `/users/${user.id}/email-verification`, { json: { email: user.email } });
    const res = await faroe("POST", `/users/${user.id}/verify-email`, { json: { request_id: created.body.id, code: created.body.code.toLowerCase() } });
    expect(res.body).toMatchObject({ email: user.email, email_verified: true });
    expect((await faroe("GET", `/password-reset/${reset.body.id}`)).status).toBe(404);
  });

  test("INCORRECT_CODE, INVALID_REQUEST_ID (unknown, or another user's request), INVALID_DATA, 404", async () => {
    const user = await createFaroeUser(faroe, "verify-wrong");
    const other = await createFaroeUser(faroe, "verify-wrong-other");
    const created = await faroe("POST", `/users/${user.id}/email-verification`, { json: { email: uniqueEmail("n") } });
    const wrongCode = created.body.code === "AAAAAAAA" ? "BBBBBBBB" : "AAAAAAAA";
    const cases: [string, unknown, string][] = [
      [user.id, { request_id: created.body.id, code: wrongCode }, "INCORRECT_CODE"],
      [user.id, { request_id: "abcdefghijkmnpqrstuvwxyz", code: created.body.code }, "INVALID_REQUEST_ID"],
      [other.id, { request_id: created.body.id, code: created.body.code }, "INVALID_REQUEST_ID"],
      [user.id, { request_id: created.body.id }, "INVALID_DATA"],
    ];
    for (const [id, json, error] of cases) {
      const res = await faroe("POST", `/users/${id}/verify-email`, { json });
      expect({ json, status: res.status, body: res.body }).toEqual({ json, status: 400, body: { error } });
    }
    expect((await faroe("GET", `/users/${user.id}`)).body.email_verified).toBe(false);
    const unknown = await faroe("POST", "/users/nobody/verify-email", { json: { request_id: created.body.id, code: created.body.code } });
    expect(unknown.status).toBe(404);
    // A wrong try did not spoil the request.
    const right = await faroe("POST", `/users/${user.id}/verify-email`, { json: { request_id: created.body.id, code: created.body.code } });
    expect(right.body.email_verified).toBe(true);
  });

  test("EMAIL_ALREADY_USED when another account took the address meanwhile", async () => {
    const user = await createFaroeUser(faroe, "verify-race");
    const contested = uniqueEmail("contested");
    const created = await faroe("POST", `/users/${user.id}/email-verification`, { json: { email: contested } });
    expect((await faroe("POST", "/users", { json: { email: contested, password: "password-123" } })).status).toBe(200);
    const res = await faroe("POST", `/users/${user.id}/verify-email`, { json: { request_id: created.body.id, code: created.body.code } });
    expect(res.body).toEqual({ error: "EMAIL_ALREADY_USED" });
  });
});
