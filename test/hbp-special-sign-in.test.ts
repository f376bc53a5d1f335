// Admin impersonation (USER_IMPERSONATION_ENABLED + ADMIN_SECRET) and anonymous users (ANONYMOUS_USERS_ENABLED).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call, decodeJwtPayload } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

const NS = "https://hasura.io/jwt/claims";
const ADMIN_SECRET = "admin-secret-0123456789";
let server: TestServer;
let plain: TestServer;

beforeAll(async () => {
  [server, plain] = await Promise.all([
    startServer({ USER_IMPERSONATION_ENABLED: "true", ADMIN_SECRET, ANONYMOUS_USERS_ENABLED: "true" }),
    startServer({ ADMIN_SECRET }),
  ]);
  for (const url of [server.url, plain.url]) {
    await call(url, "POST", "/auth/register", { json: { email: "victim@example.com", password: "secret-password" } });
  }
});
afterAll(() => Promise.all([server.stop(), plain.stop()]));

describe("impersonation", () => {
  test("the right x-admin-secret signs in as the user without their password", async () => {
    const res = await call(server.url, "POST", "/auth/login", {
      headers: { "x-admin-secret": ADMIN_SECRET },
      json: { email: "victim@example.com", password: "not-the-password", cookie: false },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe("victim@example.com");
  });

  test("a wrong x-admin-secret is a 401", async () => {
    const res = await call(server.url, "POST", "/auth/login", {
      headers: { "x-admin-secret": "wrong-secret-wrong-secret" },
      json: { email: "victim@example.com", password: "secret-password" },
    });
    expect(res.status).toBe(401);
    expect(res.body.message).toBe("Invalid x-admin-secret");
  });

  test("without USER_IMPERSONATION_ENABLED the header is ignored", async () => {
    const res = await call(plain.url, "POST", "/auth/login", {
      headers: { "x-admin-secret": ADMIN_SECRET },
      json: { email: "victim@example.com", password: "not-the-password" },
    });
    expect(res.status).toBe(401);
    expect(res.body.message).toBe("Username and password do not match");
  });
});

describe("anonymous users", () => {
  test("{anonymous:true} creates an account in the anonymous role", async () => {
    const res = await call(server.url, "POST", "/auth/login", { json: { anonymous: true, cookie: false } });
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({ id: expect.any(String), email: null, display_name: "Anonymous user" });
    expect(res.body.refresh_token).toMatch(/^[0-9a-f-]{36}$/);
    const claims = decodeJwtPayload(res.body.jwt_token)[NS];
    expect(claims["x-hasura-default-role"]).toBe("anonymous");
    expect(claims["x-hasura-allowed-roles"]).toEqual(["anonymous"]);
    expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${res.body.refresh_token}`)).status).toBe(200);
  });

  test("is a 404 naming the setting when off", async () => {
    const res = await call(plain.url, "POST", "/auth/login", { json: { anonymous: true } });
    expect(res.status).toBe(404);
    expect(res.body.message).toBe("Anonymous sign-in is disabled; set ANONYMOUS_USERS_ENABLED=true");
  });
});
