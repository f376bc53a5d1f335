// HBP register and login over HTTP: bodies, cookie mode, roles, custom fields, claims.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call, decodeJwtPayload } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

const NS = "https://hasura.io/jwt/claims";
let server: TestServer;
let url: string;

beforeAll(async () => {
  server = await startServer({
    ALLOWED_USER_ROLES: "user,editor",
    REGISTRATION_CUSTOM_FIELDS: "display_name,company,tags",
    JWT_CUSTOM_FIELDS: "company,tags,display_name",
  });
  url = server.url;
});
afterAll(() => server.stop());

describe("POST /auth/register", () => {
  test("cookie=false answers the session with the refresh token in the body and clears the cookies", async () => {
    const res = await call(url, "POST", "/auth/register", {
      json: { email: "alice@example.com", password: "alice-password", cookie: false },
    });
    expect(res.status).toBe(200);
    expect(res.body.jwt_expires_in).toBe(900_000);
    expect(res.body.refresh_token).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.user).toEqual({ id: expect.any(String), email: "alice@example.com", display_name: "alice@example.com" });
    expect(res.cookies.some((cookie) => cookie.startsWith("refresh_token=;") && cookie.includes("Expires=Thu, 01 Jan 1970"))).toBe(true);

    const claims = decodeJwtPayload(res.body.jwt_token);
    expect(claims.sub).toBe(res.body.user.id);
    expect(claims.exp - claims.iat).toBe(900);
    expect(claims[NS]["x-hasura-user-id"]).toBe(res.body.user.id);
    expect(claims[NS]["x-hasura-default-role"]).toBe("user");
    expect(claims[NS]["x-hasura-allowed-roles"]).toEqual(["user"]);
    expect(JSON.parse(Buffer.from(res.body.jwt_token.split(".")[0], "base64url").toString()).alg).toBe("HS512");
  });

  test("by default (cookie mode) sets signed HttpOnly cookies and leaves the refresh token out of the body", async () => {
    const res = await call(url, "POST", "/auth/register", { json: { email: "bob@example.com", password: "bob-password" } });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    const refresh = res.cookies.find((cookie) => cookie.startsWith("refresh_token="))!;
    const permissions = res.cookies.find((cookie) => cookie.startsWith("permission_variables="))!;
    expect(refresh).toMatch(/^refresh_token=s%3A[0-9a-f-]{36}\.[A-Za-z0-9%]+; Max-Age=2592000; Path=\/; Expires=.+; HttpOnly; SameSite=Lax$/);
    const value = JSON.parse(decodeURIComponent(permissions.split(";")[0]!.split("=")[1]!).replace(/^s:/, "").replace(/\.[^.]+$/, ""));
    expect(value).toMatchObject({ "user-id": res.body.user.id, "default-role": "user", "allowed-roles": ["user"] });
  });

  test("an address already registered is refused, whatever its case", async () => {
    await call(url, "POST", "/auth/register", { json: { email: "carol@example.com", password: "carol-password" } });
    const res = await call(url, "POST", "/auth/register", { json: { email: "CAROL@Example.com", password: "other-password" } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: "Bad Request", message: "Account already exists." });
  });

  test("register_options picks roles within ALLOWED_USER_ROLES", async () => {
    const res = await call(url, "POST", "/auth/register", {
      json: {
        email: "dave@example.com",
        password: "dave-password",
        cookie: false,
        register_options: { allowed_roles: ["user", "editor"], default_role: "editor" },
      },
    });
    expect(res.status).toBe(200);
    const claims = decodeJwtPayload(res.body.jwt_token)[NS];
    expect(claims["x-hasura-default-role"]).toBe("editor");
    expect(claims["x-hasura-allowed-roles"].toSorted()).toEqual(["editor", "user"]);
  });

  test.each([
    [{ allowed_roles: ["user", "admin"] }, "allowed roles must be a subset of ALLOWED_ROLES"],
    [{ allowed_roles: ["user"], default_role: "editor" }, "Default role must be part of allowed roles."],
    [{ default_role: "admin" }, "Default role must be part of allowed roles."],
  ])("register_options %j is refused", async (options, message) => {
    const email = `roles-${crypto.randomUUID()}@example.com`;
    const res = await call(url, "POST", "/auth/register", { json: { email, password: "password-1", register_options: options } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(message);
    // Nothing was written: the address is still free.
    const retry = await call(url, "POST", "/auth/register", { json: { email, password: "password-1" } });
    expect(retry.status).toBe(200);
  });

  test("user_data fills REGISTRATION_CUSTOM_FIELDS and JWT_CUSTOM_FIELDS become x-hasura-<kebab> claims", async () => {
    const res = await call(url, "POST", "/auth/register", {
      json: {
        email: "erin@example.com",
        password: "erin-password",
        cookie: false,
        user_data: { display_name: "Erin", company: "Acme", tags: ["a", "b"] },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.display_name).toBe("Erin");
    const claims = decodeJwtPayload(res.body.jwt_token)[NS];
    expect(claims["x-hasura-company"]).toBe("Acme");
    expect(claims["x-hasura-tags"]).toBe('{"a","b"}');
    expect(claims["x-hasura-display-name"]).toBe("Erin");
  });

  test("a refresh's access token and user are the registration's: custom claims from the columns and from user_data", async () => {
    const registered = await call(url, "POST", "/auth/register", {
      json: { email: "gina@example.com", password: "gina-password", cookie: false, user_data: { display_name: "Gina", company: "Initech", tags: ["x"] } },
    });
    expect(registered.status).toBe(200);
    // A refresh reads only part of its owner's row (db/repositories/users.ts, sessionUserOf): nothing a claim or the answer uses may be missing.
    const refreshed = await call(url, "GET", `/auth/token/refresh?refresh_token=${registered.body.refresh_token}`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.user).toEqual(registered.body.user);
    const claims = decodeJwtPayload(refreshed.body.jwt_token)[NS];
    expect(claims).toEqual(decodeJwtPayload(registered.body.jwt_token)[NS]);
    expect(claims).toMatchObject({ "x-hasura-company": "Initech", "x-hasura-tags": '{"x"}', "x-hasura-display-name": "Gina", "x-hasura-default-role": "user" });
  });

  test("user_data outside REGISTRATION_CUSTOM_FIELDS is refused", async () => {
    const res = await call(url, "POST", "/auth/register", {
      json: { email: "frank@example.com", password: "frank-password", user_data: { is_admin: true } },
    });
    expect(res.status).toBe(400);
    expect(res.body.statusCode).toBe(400);
    const login = await call(url, "POST", "/auth/login", { json: { email: "frank@example.com", password: "frank-password" } });
    expect(login.status).toBe(401);
  });
});

describe("POST /auth/login", () => {
  beforeAll(async () => {
    await call(url, "POST", "/auth/register", { json: { email: "Grace@Example.com", password: "grace-password" } });
  });

  test("signs in with the address in any case", async () => {
    const res = await call(url, "POST", "/auth/login", {
      json: { email: "grace@example.COM", password: "grace-password", cookie: false },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe("grace@example.com");
    expect(res.body.refresh_token).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeJwtPayload(res.body.jwt_token)[NS]["x-hasura-user-id"]).toBe(res.body.user.id);
  });

  test("a wrong password and an unknown address fail alike", async () => {
    const wrong = await call(url, "POST", "/auth/login", { json: { email: "grace@example.com", password: "not-her-password" } });
    const unknown = await call(url, "POST", "/auth/login", { json: { email: "nobody@example.com", password: "whatever-pw" } });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: "Unauthorized", message: "Username and password do not match" });
      expect(res.cookies.filter((cookie) => !cookie.includes("=;"))).toEqual([]);
    }
  });

  test("answers carry no-cache headers", async () => {
    const res = await call(url, "POST", "/auth/login", { json: { email: "grace@example.com", password: "grace-password" } });
    expect(res.headers.get("cache-control")).toContain("no-store");
  });
});

describe("account policy settings", () => {
  let policy: TestServer;
  beforeAll(async () => {
    policy = await startServer({
      AUTO_ACTIVATE_NEW_USERS: "false",
      MIN_PASSWORD_LENGTH: "10",
      ALLOWED_EMAIL_DOMAINS: "example.org",
      JWT_ALGORITHM: "HS256",
      JWT_CLAIMS_NAMESPACE: "https://example.org/claims",
    });
  });
  afterAll(() => policy.stop());

  test("MIN_PASSWORD_LENGTH and ALLOWED_EMAIL_DOMAINS are enforced", async () => {
    const short = await call(policy.url, "POST", "/auth/register", { json: { email: "a@example.org", password: "123456789" } });
    expect(short.status).toBe(400);
    const domain = await call(policy.url, "POST", "/auth/register", { json: { email: "a@example.com", password: "1234567890" } });
    expect(domain.status).toBe(400);
  });

  test("without AUTO_ACTIVATE_NEW_USERS an account gets no tokens and cannot sign in", async () => {
    const res = await call(policy.url, "POST", "/auth/register", { json: { email: "h@example.org", password: "h-password-1" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ jwt_token: null, jwt_expires_in: null, user: { email: "h@example.org" } });
    const login = await call(policy.url, "POST", "/auth/login", { json: { email: "h@example.org", password: "h-password-1" } });
    expect(login.status).toBe(400);
    expect(login.body.message).toBe("Account is not activated.");
    const again = await call(policy.url, "POST", "/auth/register", { json: { email: "h@example.org", password: "h-password-1" } });
    expect(again.body.message).toBe("Account already exists but is not activated.");
  });
});

describe("JWT settings", () => {
  let hs256: TestServer;
  beforeAll(async () => {
    hs256 = await startServer({ JWT_ALGORITHM: "HS256", JWT_CLAIMS_NAMESPACE: "https://example.org/claims", JWT_EXPIRES_IN: "5" });
  });
  afterAll(() => hs256.stop());

  test("JWT_ALGORITHM, JWT_CLAIMS_NAMESPACE and JWT_EXPIRES_IN shape the token", async () => {
    const res = await call(hs256.url, "POST", "/auth/register", { json: { email: "i@example.org", password: "i-password", cookie: false } });
    expect(res.status).toBe(200);
    expect(res.body.jwt_expires_in).toBe(300_000);
    const header = JSON.parse(Buffer.from(res.body.jwt_token.split(".")[0], "base64url").toString());
    expect(header.alg).toBe("HS256");
    const claims = decodeJwtPayload(res.body.jwt_token);
    expect(claims.exp - claims.iat).toBe(300);
    expect(claims["https://example.org/claims"]["x-hasura-user-id"]).toBe(res.body.user.id);
    expect(claims[NS]).toBeUndefined();
  });
});
