// Faroe users: create, log in (both paths), list, get, delete, change the password; the same users through HBP.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createFaroeUser, FAROE_CODE, faroeCaller, startFaroeServer, uniqueEmail, type FaroeCaller } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import type { TestServer } from "./support/server.ts";

let server: TestServer;
let faroe: FaroeCaller;
beforeAll(async () => {
  server = await startFaroeServer();
  faroe = faroeCaller(server);
});
afterAll(() => server.stop());

const hbpLogin = (email: string, password: string) =>
  call(server.url, "POST", "/auth/login", { json: { email, password, cookie: false } });

describe("POST /users", () => {
  test("answers the user model; the address is kept lower-cased", async () => {
    const before = Math.floor(Date.now() / 1000);
    const email = uniqueEmail("Create").replace("create", "CREATE");
    const res = await faroe("POST", "/users", { json: { email, password: "password-123" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      created_at: expect.any(Number),
      email: email.toLowerCase(),
      email_verified: false,
      registered_totp: false,
    });
    expect(res.body.created_at).toBeGreaterThanOrEqual(before);
    expect(res.body.created_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    // The recovery code exists from the start.
    const code = await faroe("GET", `/users/${res.body.id}/recovery-code`);
    expect(code.body.recovery_code).toMatch(FAROE_CODE);
  });

  test("each documented error, and nothing written", async () => {
    const taken = await createFaroeUser(faroe, "taken");
    const cases: [unknown, string][] = [
      [{ email: "not-an-email", password: "password-123" }, "INVALID_EMAIL"],
      [{ email: "a@b", password: "password-123" }, "INVALID_EMAIL"],
      [{ email: `${"x".repeat(250)}@example.com`, password: "password-123" }, "INVALID_EMAIL"],
      [{ email: taken.email.toUpperCase(), password: "password-123" }, "EMAIL_ALREADY_USED"],
      [{ email: uniqueEmail("weak"), password: "short" }, "WEAK_PASSWORD"],
      [{ email: uniqueEmail("large"), password: "x".repeat(256) }, "PASSWORD_TOO_LARGE"],
      // 128 characters is latchkey's limit (so the password also works through HBP); 255 bytes is Faroe's.
      [{ email: uniqueEmail("large"), password: "x".repeat(129) }, "PASSWORD_TOO_LARGE"],
      [{ email: uniqueEmail("large"), password: "é".repeat(128) }, "PASSWORD_TOO_LARGE"],
      [{ email: uniqueEmail("data"), password: 12345678 }, "INVALID_DATA"],
    ];
    const count = (await faroe("GET", "/users?count=1000")).body.length;
    for (const [json, error] of cases) {
      const res = await faroe("POST", "/users", { json });
      expect({ json, status: res.status, body: res.body }).toEqual({ json, status: 400, body: { error } });
    }
    expect((await faroe("GET", "/users?count=1000")).body.length).toBe(count);
  });
});

describe("POST /login/password and POST /authenticate/password", () => {
  test("both answer the user for the right password, in any letter case of the address", async () => {
    const user = await createFaroeUser(faroe, "login");
    for (const path of ["/login/password", "/authenticate/password"]) {
      const res = await faroe("POST", path, { json: { email: user.email.toUpperCase(), password: user.password } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.id, email: user.email, registered_totp: false });
    }
  });

  test("USER_NOT_EXISTS, INCORRECT_PASSWORD, INVALID_DATA", async () => {
    const user = await createFaroeUser(faroe, "login-errors");
    const unknown = await faroe("POST", "/login/password", { json: { email: uniqueEmail("nobody"), password: "password-123" } });
    expect(unknown.body).toEqual({ error: "USER_NOT_EXISTS" });
    const wrong = await faroe("POST", "/authenticate/password", { json: { email: user.email, password: "wrong-password" } });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toEqual({ error: "INCORRECT_PASSWORD" });
    const missing = await faroe("POST", "/login/password", { json: { email: user.email } });
    expect(missing.body).toEqual({ error: "INVALID_DATA" });
  });
});

describe("GET /users", () => {
  let ids: string[];
  beforeAll(async () => {
    // Emails in reverse order of creation, so the three sort keys give different orders.
    ids = [];
    for (const letter of ["c", "b", "a"]) {
      const res = await faroe("POST", "/users", { json: { email: `list-${letter}@example.org`, password: "password-123" } });
      ids.push(res.body.id);
    }
  });

  const mine = (users: { id: string }[]) => users.filter((user) => ids.includes(user.id)).map((user) => user.id);

  test("defaults: created_at ascending, 20 per page, a bare array of user models", async () => {
    const res = await faroe("GET", "/users");
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    expect(res.body.length).toBeLessThanOrEqual(20);
    const all = (await faroe("GET", "/users?count=1000")).body;
    expect(mine(all)).toEqual(ids);
    expect(all[0]).toEqual({ id: expect.any(String), created_at: expect.any(Number), email: expect.any(String), email_verified: expect.any(Boolean), registered_totp: expect.any(Boolean) });
    const times = all.map((user: { created_at: number }) => user.created_at);
    expect(times).toEqual([...times].sort((a: number, b: number) => a - b));
  });

  test("sort_by email and id, ascending and descending", async () => {
    const byEmail = (await faroe("GET", "/users?sort_by=email&count=1000")).body;
    expect(mine(byEmail)).toEqual([...ids].reverse());
    const byEmailDesc = (await faroe("GET", "/users?sort_by=email&sort_order=descending&count=1000")).body;
    expect(mine(byEmailDesc)).toEqual(ids);
    const byId = (await faroe("GET", "/users?sort_by=id&count=1000")).body.map((user: { id: string }) => user.id);
    expect(byId).toEqual([...byId].sort());
    const byIdDesc = (await faroe("GET", "/users?sort_by=id&sort_order=descending&count=1000")).body.map((user: { id: string }) => user.id);
    expect(byIdDesc).toEqual([...byId].reverse());
  });

  test("count and page slice the same order; past the end is []", async () => {
    const all = (await faroe("GET", "/users?sort_by=email&count=1000")).body;
    const page2 = (await faroe("GET", "/users?sort_by=email&count=2&page=2")).body;
    expect(page2).toEqual(all.slice(2, 4));
    const last = (await faroe("GET", `/users?count=1&page=${all.length + 1}`)).body;
    expect(last).toEqual([]);
  });

  test("values Faroe does not know fall back to the defaults", async () => {
    const fallback = (await faroe("GET", "/users?sort_by=password&sort_order=sideways&count=0&page=-1")).body;
    const defaults = (await faroe("GET", "/users")).body;
    expect(fallback).toEqual(defaults);
    expect((await faroe("GET", "/users?count=abc&page=1e99")).status).toBe(200);
  });
});

describe("GET and DELETE /users/[id]", () => {
  test("get answers the model; an unknown id is 404 NOT_FOUND", async () => {
    const user = await createFaroeUser(faroe, "get");
    const res = await faroe("GET", `/users/${user.id}`);
    expect(res.body).toMatchObject({ id: user.id, email: user.email });
    const unknown = await faroe("GET", "/users/00000000-0000-4000-8000-000000000000");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: "NOT_FOUND" });
  });

  test("delete answers 204, takes the account away everywhere, and 404 the second time", async () => {
    const user = await createFaroeUser(faroe, "delete");
    const session = await hbpLogin(user.email, user.password);
    expect(session.status).toBe(200);
    const res = await faroe("DELETE", `/users/${user.id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBe("");
    expect((await faroe("GET", `/users/${user.id}`)).status).toBe(404);
    expect((await faroe("GET", `/users/${user.id}/recovery-code`)).status).toBe(404);
    expect((await hbpLogin(user.email, user.password)).status).toBe(401);
    const refresh = await call(server.url, "GET", `/auth/token/refresh?refresh_token=${session.body.refresh_token}`);
    expect(refresh.status).toBe(401);
    expect((await faroe("DELETE", `/users/${user.id}`)).status).toBe(404);
  });
});

describe("POST /users/[id]/password", () => {
  test("changes the password (204): the new one works in both dialects, the old one nowhere, sessions end", async () => {
    const user = await createFaroeUser(faroe, "password");
    const session = await hbpLogin(user.email, user.password);
    const res = await faroe("POST", `/users/${user.id}/password`, { json: { password: user.password, new_password: "new-password-456" } });
    expect(res.status).toBe(204);
    expect((await faroe("POST", "/login/password", { json: { email: user.email, password: "new-password-456" } })).status).toBe(200);
    expect((await faroe("POST", "/login/password", { json: { email: user.email, password: user.password } })).body).toEqual({ error: "INCORRECT_PASSWORD" });
    expect((await hbpLogin(user.email, "new-password-456")).status).toBe(200);
    const refresh = await call(server.url, "GET", `/auth/token/refresh?refresh_token=${session.body.refresh_token}`);
    expect(refresh.status).toBe(401);
  });

  test("each documented error", async () => {
    const user = await createFaroeUser(faroe, "password-errors");
    const cases: [unknown, string][] = [
      [{ password: "wrong-password", new_password: "new-password-456" }, "INCORRECT_PASSWORD"],
      [{ password: user.password, new_password: "short" }, "WEAK_PASSWORD"],
      [{ password: user.password, new_password: "x".repeat(256) }, "PASSWORD_TOO_LARGE"],
      [{ password: "x".repeat(256), new_password: "new-password-456" }, "INVALID_DATA"],
      [{ password: user.password }, "INVALID_DATA"],
    ];
    for (const [json, error] of cases) {
      const res = await faroe("POST", `/users/${user.id}/password`, { json });
      expect({ json, status: res.status, body: res.body }).toEqual({ json, status: 400, body: { error } });
    }
    expect((await faroe("POST", "/login/password", { json: { email: user.email, password: user.password } })).status).toBe(200);
    const unknown = await faroe("POST", "/users/nobody/password", { json: { password: "password-123", new_password: "new-password-456" } });
    expect(unknown.status).toBe(404);
  });
});

describe("one user base", () => {
  test("a user created through Faroe signs in through HBP", async () => {
    const user = await createFaroeUser(faroe, "shared");
    const res = await hbpLogin(user.email, user.password);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: user.id, email: user.email });
  });

  test("a user registered through HBP is a Faroe user: get, log in, list", async () => {
    const email = uniqueEmail("from-hbp");
    const registered = await call(server.url, "POST", "/auth/register", { json: { email, password: "hbp-password-1", cookie: false } });
    expect(registered.status).toBe(200);
    const id = registered.body.user.id;
    const res = await faroe("GET", `/users/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id, created_at: expect.any(Number), email, email_verified: false, registered_totp: false });
    expect((await faroe("POST", "/login/password", { json: { email, password: "hbp-password-1" } })).body.id).toBe(id);
    expect((await faroe("GET", "/users?count=1000")).body.map((user: { id: string }) => user.id)).toContain(id);
    // Such a user had no recovery code: one is made when first asked for.
    expect((await faroe("GET", `/users/${id}/recovery-code`)).body.recovery_code).toMatch(FAROE_CODE);
  });
});
