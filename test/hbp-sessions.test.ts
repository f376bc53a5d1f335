// Refresh rotation, reuse detection, logout, revoke, cookie authentication and JWT checks.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SignJWT } from "jose";
import { call, cookieHeader } from "./support/http.ts";
import { startServer, TEST_JWT_KEY, type TestServer } from "./support/server.ts";

const NS = "https://hasura.io/jwt/claims";
let server: TestServer;
let strict: TestServer; // REFRESH_REUSE_GRACE_SECONDS=0: any reuse revokes the family at once
let counter = 0;

beforeAll(async () => {
  [server, strict] = await Promise.all([startServer(), startServer({ REFRESH_REUSE_GRACE_SECONDS: "0" })]);
});
afterAll(() => Promise.all([server.stop(), strict.stop()]));

/** Registers a fresh user; returns the body of a cookie=false session. */
async function newUser(url = server.url): Promise<{ email: string; refresh_token: string; jwt_token: string; user: { id: string } }> {
  const email = `user${++counter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call(url, "POST", "/auth/register", { json: { email, password: "password-123", cookie: false } });
  expect(res.status).toBe(200);
  return { email, ...res.body };
}

const refresh = (url: string, token: string) => call(url, "GET", `/auth/token/refresh?refresh_token=${token}`);

describe("GET /auth/token/refresh", () => {
  test("rotates: a new refresh token and JWT, and the old token is spent", async () => {
    const { refresh_token, user } = await newUser();
    const first = await refresh(server.url, refresh_token);
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.body.refresh_token).not.toBe(refresh_token);
    expect(first.body.user.id).toBe(user.id);
    expect(typeof first.body.jwt_token).toBe("string");
    expect((await refresh(server.url, refresh_token)).status).toBe(401);
    expect((await refresh(server.url, first.body.refresh_token)).status).toBe(200);
  });

  test("reuse of a rotated token revokes the whole family", async () => {
    const { refresh_token } = await newUser(strict.url);
    const rotated = await refresh(strict.url, refresh_token);
    expect(rotated.status).toBe(200);
    const reuse = await refresh(strict.url, refresh_token);
    expect(reuse.status).toBe(401);
    expect(reuse.body).toEqual({ statusCode: 401, error: "Unauthorized", message: "Invalid or expired refresh token." });
    // The successor, though never used, died with its family.
    expect((await refresh(strict.url, rotated.body.refresh_token)).status).toBe(401);
  });

  test("within the grace period a repeated token is refused but the family lives", async () => {
    const { refresh_token } = await newUser();
    const rotated = await refresh(server.url, refresh_token);
    expect((await refresh(server.url, refresh_token)).status).toBe(401);
    expect((await refresh(server.url, rotated.body.refresh_token)).status).toBe(200);
  });

  test("a token older than the last one is reuse too, and within the grace period only refused", async () => {
    const { refresh_token } = await newUser();
    const second = await refresh(server.url, refresh_token);
    const third = await refresh(server.url, second.body.refresh_token);
    expect(third.status).toBe(200);
    // Two rotations back, presented within the grace period of the last one: refused, the session lives.
    expect((await refresh(server.url, refresh_token)).status).toBe(401);
    expect((await refresh(server.url, third.body.refresh_token)).status).toBe(200);

    const { refresh_token: first } = await newUser(strict.url);
    const next = await refresh(strict.url, first);
    const last = await refresh(strict.url, next.body.refresh_token);
    expect(last.status).toBe(200);
    expect((await refresh(strict.url, first)).status).toBe(401);
    expect((await refresh(strict.url, last.body.refresh_token)).status).toBe(401);
  });

  test("a session's tokens share their first half; a made-up second half is refused as reuse", async () => {
    const { refresh_token } = await newUser(strict.url);
    const rotated = await refresh(strict.url, refresh_token);
    const current: string = rotated.body.refresh_token;
    expect(current.slice(0, 18)).toBe(refresh_token.slice(0, 18));
    expect(current.slice(18)).not.toBe(refresh_token.slice(18));
    // Only a holder of one of its tokens knows a session's first half: a wrong rest is a copy gone astray.
    const forged = current.slice(0, 18) + crypto.randomUUID().slice(18);
    expect((await refresh(strict.url, forged)).status).toBe(401);
    expect((await refresh(strict.url, current)).status).toBe(401);
    // Sessions are apart: another sign-in gets a first half of its own.
    const other = await newUser(strict.url);
    expect(other.refresh_token.slice(0, 18)).not.toBe(refresh_token.slice(0, 18));
  });

  test("two concurrent refreshes of one token yield exactly one new session", async () => {
    const { refresh_token } = await newUser();
    const results = await Promise.all(Array.from({ length: 8 }, () => refresh(server.url, refresh_token)));
    const won = results.filter((res) => res.status === 200);
    expect(won.length).toBe(1);
    expect(results.filter((res) => res.status === 401).length).toBe(7);
    expect((await refresh(server.url, won[0]!.body.refresh_token)).status).toBe(200);
  });

  // Rotations that arrive together share a transaction on SQLite (db/group-commit.ts) and run each on its own on
  // PostgreSQL: either way each rotates its own session, and a spent token among them fails alone.
  test("refreshes of many sessions at once each rotate their own session; a spent token among them fails alone", async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => newUser()));
    const spent = users[0]!.refresh_token;
    expect((await refresh(server.url, spent)).status).toBe(200);
    const [stale, ...results] = await Promise.all([refresh(server.url, spent), ...users.slice(1).map((user) => refresh(server.url, user.refresh_token))]);
    expect(stale!.status).toBe(401);
    results.forEach((res, index) => {
      expect(res.status).toBe(200);
      expect(res.body.user.id).toBe(users[index + 1]!.user.id);
      expect(res.body.refresh_token).not.toBe(users[index + 1]!.refresh_token);
    });
    // Each new token works once more, each old one is spent.
    const again = await Promise.all(results.map((res) => refresh(server.url, res.body.refresh_token)));
    expect(again.map((res) => res.status)).toEqual(results.map(() => 200));
  });

  test("from a cookie: answers with new cookies and no token in the body", async () => {
    const email = `cookie-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const registered = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    const res = await call(server.url, "GET", "/auth/token/refresh", { headers: { cookie: cookieHeader(registered.cookies) } });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.cookies.find((cookie) => cookie.startsWith("refresh_token=s%3A"))).toBeDefined();
    expect(cookieHeader(res.cookies)).not.toBe(cookieHeader(registered.cookies));
  });

  // HBP's token/refresh.ts: a token from the query is answered in the body, and the cookies are left alone (sign-ins
  // with cookie=false clear them; a refresh does not).
  test("from the query: answers the new token in the body and sets no cookie", async () => {
    const { refresh_token } = await newUser();
    const res = await refresh(server.url, refresh_token);
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.refresh_token).not.toBe(refresh_token);
    expect(res.cookies).toEqual([]);
  });

  test("the cookie wins over the query", async () => {
    const { refresh_token } = await newUser();
    const res = await call(server.url, "GET", `/auth/token/refresh?refresh_token=${refresh_token}`, {
      headers: { cookie: "refresh_token=s%3Aforged.signature" },
    });
    // A forged cookie is no cookie: the query token is used.
    expect(res.status).toBe(200);
  });

  test.each([
    ["no token", "", 401],
    ["a token that is not a uuid", "?refresh_token=abc", 400],
    ["an unknown uuid", `?refresh_token=${crypto.randomUUID()}`, 401],
  ])("%s is refused", async (_, query, status) => {
    const res = await call(server.url, "GET", `/auth/token/refresh${query}`);
    expect(res.status).toBe(status);
    expect(res.body.statusCode).toBe(status);
  });

  test("POST /auth/token/refresh (seed 001) reads only the cookie", async () => {
    const email = `old-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const registered = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    const res = await call(server.url, "POST", "/auth/token/refresh", { headers: { cookie: cookieHeader(registered.cookies) } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(["jwt_expires_in", "jwt_token"]);
    expect(res.cookies.some((cookie) => cookie.startsWith("refresh_token=s%3A"))).toBe(true);
    const { refresh_token } = await newUser();
    expect((await call(server.url, "POST", `/auth/token/refresh?refresh_token=${refresh_token}`)).status).toBe(401);
  });
});

describe("POST /auth/logout", () => {
  test("ends the session of the token given in the query", async () => {
    const { refresh_token } = await newUser();
    const res = await call(server.url, "POST", `/auth/logout?refresh_token=${refresh_token}`);
    expect(res.status).toBe(204);
    expect((await refresh(server.url, refresh_token)).status).toBe(401);
  });

  test("all=true ends every session of the user", async () => {
    const { email, refresh_token } = await newUser();
    const other = await call(server.url, "POST", "/auth/login", { json: { email, password: "password-123", cookie: false } });
    const res = await call(server.url, "POST", `/auth/logout?refresh_token=${refresh_token}`, { json: { all: true } });
    expect(res.status).toBe(204);
    expect((await refresh(server.url, other.body.refresh_token)).status).toBe(401);
  });

  test("with the cookie: clears both cookies, and the old cookies no longer authenticate", async () => {
    const email = `logout-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const registered = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    const cookie = cookieHeader(registered.cookies);
    const res = await call(server.url, "POST", "/auth/logout", { headers: { cookie } });
    expect(res.status).toBe(204);
    expect(res.cookies.filter((item) => item.includes("Expires=Thu, 01 Jan 1970")).length).toBe(2);
    expect((await call(server.url, "POST", "/auth/token/revoke", { headers: { cookie } })).status).toBe(401);
  });

  test("without a token: 401", async () => {
    const res = await call(server.url, "POST", "/auth/logout");
    expect(res.status).toBe(401);
    expect(res.body.message).toBe("Invalid or expired refresh token.");
  });
});

describe("POST /auth/token/revoke and request authentication", () => {
  test("with a Bearer JWT: ends every refresh token of the user", async () => {
    const { email, jwt_token, refresh_token } = await newUser();
    const other = await call(server.url, "POST", "/auth/login", { json: { email, password: "password-123", cookie: false } });
    const res = await call(server.url, "POST", "/auth/token/revoke", { headers: { authorization: `Bearer ${jwt_token}` } });
    expect(res.status).toBe(204);
    expect((await refresh(server.url, refresh_token)).status).toBe(401);
    expect((await refresh(server.url, other.body.refresh_token)).status).toBe(401);
  });

  test("with the session cookies instead of a JWT", async () => {
    const email = `cookieauth-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const registered = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    const res = await call(server.url, "POST", "/auth/token/revoke", { headers: { cookie: cookieHeader(registered.cookies) } });
    expect(res.status).toBe(204);
  });

  test("a forged (unsigned) permission_variables cookie is not accepted", async () => {
    const { user, refresh_token } = await newUser();
    const forged = encodeURIComponent(JSON.stringify({ "user-id": user.id, "default-role": "user", "allowed-roles": ["user"] }));
    const res = await call(server.url, "POST", "/auth/token/revoke", {
      headers: { cookie: `permission_variables=${forged}; refresh_token=${refresh_token}` },
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ statusCode: 401, error: "Unauthorized", message: "Not logged in" });
    expect((await refresh(server.url, refresh_token)).status).toBe(200);
  });

  async function sign(payload: Record<string, unknown>, options: { key?: string; alg?: string; exp?: number } = {}) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: options.alg ?? "HS512", typ: "JWT" })
      .setIssuedAt(now - 60)
      .setExpirationTime(options.exp ?? now + 600)
      .sign(new TextEncoder().encode(options.key ?? TEST_JWT_KEY));
  }

  test("a token signed with the server key is accepted (control for the cases below)", async () => {
    const { user } = await newUser();
    const token = await sign({ sub: user.id, [NS]: { "x-hasura-user-id": user.id } });
    expect((await call(server.url, "POST", "/auth/token/revoke", { headers: { authorization: `Bearer ${token}` } })).status).toBe(204);
  });

  test.each([
    ["expired", async (id: string) => sign({ [NS]: { "x-hasura-user-id": id } }, { exp: Math.floor(Date.now() / 1000) - 5 })],
    ["signed with another key", async (id: string) => sign({ [NS]: { "x-hasura-user-id": id } }, { key: "another-key-another-key-another-key-1234" })],
    ["signed with another HMAC algorithm", async (id: string) => sign({ [NS]: { "x-hasura-user-id": id } }, { alg: "HS256" })],
    [
      "alg none",
      async (id: string) =>
        `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(
          JSON.stringify({ [NS]: { "x-hasura-user-id": id }, exp: Math.floor(Date.now() / 1000) + 600 }),
        ).toString("base64url")}.`,
    ],
    ["garbage", async () => "not.a.jwt"],
  ])("a JWT that is %s is refused", async (_, make) => {
    const { user, refresh_token } = await newUser();
    const token = await make(user.id);
    const res = await call(server.url, "POST", "/auth/token/revoke", { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.body.message).toBe("Not logged in");
    expect((await refresh(server.url, refresh_token)).status).toBe(200);
  });
});

describe("POST /auth/delete", () => {
  let deleting: TestServer;
  beforeAll(async () => {
    deleting = await startServer({ ALLOW_USER_SELF_DELETE: "true" });
  });
  afterAll(() => deleting.stop());

  test("is a 404 naming the setting while ALLOW_USER_SELF_DELETE is off", async () => {
    const { jwt_token } = await newUser();
    const res = await call(server.url, "POST", "/auth/delete", { headers: { authorization: `Bearer ${jwt_token}` } });
    expect(res.status).toBe(404);
    expect(res.body.message).toBe("Self-deletion is disabled; set ALLOW_USER_SELF_DELETE=true");
  });

  test("needs a signed-in user", async () => {
    const res = await call(deleting.url, "POST", "/auth/delete");
    expect(res.status).toBe(401);
    expect(res.body.message).toBe("Unable to delete account");
  });

  test("deletes the account, its sessions and clears the cookies", async () => {
    const { email, jwt_token, refresh_token } = await newUser(deleting.url);
    const res = await call(deleting.url, "POST", "/auth/delete", { headers: { authorization: `Bearer ${jwt_token}` } });
    expect(res.status).toBe(204);
    expect(res.cookies.filter((item) => item.includes("Expires=Thu, 01 Jan 1970")).length).toBe(2);
    expect((await refresh(deleting.url, refresh_token)).status).toBe(401);
    expect((await call(deleting.url, "POST", "/auth/login", { json: { email, password: "password-123" } })).status).toBe(401);
    // The address is free again.
    expect((await call(deleting.url, "POST", "/auth/register", { json: { email, password: "password-123" } })).status).toBe(200);
  });
});
