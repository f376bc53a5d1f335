// Bad input at the edge (issue 23, defects 7 and 14), for every dialect: JSON nested too deep, and NUL or unpaired
// surrogates in body strings, keys, form fields, query strings and path parameters are refused with 400 in the
// dialect's own shape, before a handler, a schema or the database sees them. On PostgreSQL a NUL used to answer 500;
// on SQLite it was stored; `[[[[...` 100,000 deep answered 500 with "Maximum call stack size exceeded" in the log.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import { rawRequest } from "./support/raw-http.ts";
import { startServer, type TestServer } from "./support/server.ts";

const ADMIN_SECRET = "edge-admin-secret-0123456789";
let server: TestServer;
beforeAll(async () => {
  server = await startServer({ LNCRAWL_ENABLED: "true", WOLFPAL_ENABLED: "true", FAROE_CREDENTIAL, ADMIN_SECRET });
});
afterAll(() => server.stop());

type Dialect = "hbp" | "faroe" | "lncrawl" | "wolfpal";

/** The dialect's 400 for input refused at the edge; `about` is part of the message where the shape has one. */
function refusal(dialect: Dialect, about: string): unknown {
  const message = expect.stringContaining(about);
  switch (dialect) {
    case "hbp":
      return { statusCode: 400, error: "Bad Request", message };
    case "faroe":
      return { error: "INVALID_DATA" };
    case "lncrawl":
      return { error: "Bad request", detail: message };
    case "wolfpal":
      return { code: "INVALID", error: message };
  }
}

interface Scenario {
  name: string;
  dialect: Dialect;
  method: string;
  path: string;
  json?: unknown;
  body?: string | FormData;
  headers?: Record<string, string>;
  /** Words of the message (dialects without one check only the shape). */
  about: string;
}

const DEEP = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
const DEEPISH = { email: "a@example.com", password: "password-1", user_data: JSON.parse(`${"[".repeat(40)}${"]".repeat(40)}`) };
const NUL_EMAIL = "a\u0000b@example.com";
/** The start of the edge's message about a body string; the field follows. */
const IN = "a NUL character or an unpaired surrogate in ";
const LONE_SURROGATE = "pass\ud800word-1";
const faroe = { authorization: FAROE_CREDENTIAL };
const json = { "content-type": "application/json" };
const urlencoded = { "content-type": "application/x-www-form-urlencoded" };
const otpForm = () => {
  const form = new FormData();
  form.set("otp", "12\u00003456");
  form.set("token", "t");
  return form;
};

const deep: Scenario[] = [
  { name: "HBP register", dialect: "hbp", method: "POST", path: "/auth/register", body: DEEP, headers: json, about: "32 levels deep" },
  { name: "HBP login", dialect: "hbp", method: "POST", path: "/auth/login", body: DEEP, headers: json, about: "32 levels deep" },
  { name: "HBP register, 40 deep inside user_data", dialect: "hbp", method: "POST", path: "/auth/register", json: DEEPISH, about: "32 levels deep" },
  { name: "HBP storage's JSON route", dialect: "hbp", method: "POST", path: "/storage/m/public/x.txt", body: DEEP, headers: { ...json, "x-admin-secret": ADMIN_SECRET }, about: "32 levels deep" },
  { name: "lncrawl login", dialect: "lncrawl", method: "POST", path: "/api/auth/login", body: DEEP, headers: json, about: "32 levels deep" },
  { name: "WolfPal login", dialect: "wolfpal", method: "POST", path: "/wolfpal/auth/login", body: DEEP, headers: json, about: "32 levels deep" },
  { name: "Faroe create user", dialect: "faroe", method: "POST", path: "/faroe/users", body: DEEP, headers: { ...json, ...faroe }, about: "" },
];

const badText: Scenario[] = [
  // Body strings.
  { name: "HBP register: NUL in the email", dialect: "hbp", method: "POST", path: "/auth/register", json: { email: NUL_EMAIL, password: "password-1" }, about: `${IN}"email"` },
  { name: "HBP login: NUL in the email", dialect: "hbp", method: "POST", path: "/auth/login", json: { email: NUL_EMAIL, password: "password-1" }, about: `${IN}"email"` },
  { name: "HBP login: lone surrogate in the password", dialect: "hbp", method: "POST", path: "/auth/login", json: { email: "a@example.com", password: LONE_SURROGATE }, about: `${IN}"password"` },
  { name: "HBP register: NUL in a key of user_data", dialect: "hbp", method: "POST", path: "/auth/register", json: { email: "k@example.com", password: "password-1", user_data: { "na\u0000me": "x" } }, about: `${IN}a field name` },
  { name: "HBP register: NUL deep in user_data", dialect: "hbp", method: "POST", path: "/auth/register", json: { email: "d@example.com", password: "password-1", user_data: { tags: ["ok", "b\u0000d"] } }, about: `${IN}"user_data.tags[1]"` },
  { name: "Faroe create user: NUL in the email", dialect: "faroe", method: "POST", path: "/faroe/users", json: { email: NUL_EMAIL, password: "password-123" }, headers: faroe, about: "" },
  { name: "Faroe create user: lone surrogate in the password", dialect: "faroe", method: "POST", path: "/faroe/users", json: { email: "s@example.com", password: LONE_SURROGATE }, headers: faroe, about: "" },
  { name: "lncrawl login: NUL in the email", dialect: "lncrawl", method: "POST", path: "/api/auth/login", json: { email: NUL_EMAIL, password: "password-1" }, about: `${IN}"email"` },
  { name: "lncrawl verify-otp: NUL in a multipart field", dialect: "lncrawl", method: "POST", path: "/api/auth/verify-otp", body: otpForm(), about: `${IN}"otp"` },
  { name: "WolfPal login (form): NUL in the email", dialect: "wolfpal", method: "POST", path: "/wolfpal/auth/login", body: "email=a%00b%40example.com&password=password-1", headers: urlencoded, about: `${IN}"email"` },
  { name: "WolfPal login (JSON): lone surrogate in the email", dialect: "wolfpal", method: "POST", path: "/wolfpal/auth/login", json: { email: "\udc00@example.com", password: "password-1" }, about: `${IN}"email"` },
  // Query strings.
  { name: "HBP refresh: NUL in the query", dialect: "hbp", method: "GET", path: "/auth/token/refresh?refresh_token=%00", about: "URL has a NUL" },
  { name: "HBP activate: surrogate in the query", dialect: "hbp", method: "GET", path: "/auth/activate?ticket=%ED%A0%80", about: "URL has a NUL" },
  { name: "HBP storage: NUL in ?token=", dialect: "hbp", method: "GET", path: "/storage/o/public/x.txt?token=a%00b", about: "URL has a NUL" },
  { name: "lncrawl verify-token: NUL in the query", dialect: "lncrawl", method: "GET", path: "/api/auth/verify-token?token=%00", about: "URL has a NUL" },
  { name: "Faroe list users: NUL in the query", dialect: "faroe", method: "GET", path: "/faroe/users?sort_by=%00", headers: faroe, about: "" },
  // Path parameters.
  { name: "Faroe get user: NUL in the id", dialect: "faroe", method: "GET", path: "/faroe/users/a%00b", headers: faroe, about: "" },
  { name: "Faroe password reset: surrogate in the id", dialect: "faroe", method: "GET", path: "/faroe/password-reset/%ED%B0%80", headers: faroe, about: "" },
  { name: "WolfPal activation: NUL in the token", dialect: "wolfpal", method: "PUT", path: "/wolfpal/user/activate-account/a%00b", about: "URL has a NUL" },
  { name: "WolfPal reset: NUL in the token", dialect: "wolfpal", method: "POST", path: "/wolfpal/user/reset-password/a%00b", body: "password=password-1", headers: urlencoded, about: "URL has a NUL" },
];

async function send(scenario: Scenario) {
  return call(server.url, scenario.method, scenario.path, { json: scenario.json, body: scenario.body, headers: scenario.headers });
}

describe("JSON nested deeper than 32 levels: 400 in the dialect's shape, before anything walks it", () => {
  test.each(deep.map((scenario) => [scenario.name, scenario] as const))("%s", async (_, scenario) => {
    const res = await send(scenario);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(refusal(scenario.dialect, scenario.about));
  });
});

describe("NUL and unpaired surrogates in bodies, keys, queries and paths: 400 in the dialect's shape", () => {
  test.each(badText.map((scenario) => [scenario.name, scenario] as const))("%s", async (_, scenario) => {
    const res = await send(scenario);
    expect(res.status).toBe(400);
    expect(res.body).toEqual(refusal(scenario.dialect, scenario.about));
  });
});

test("a NUL in a header is refused by the HTTP parser before latchkey sees it (user agents are stored with sessions)", async () => {
  const body = new TextEncoder().encode(JSON.stringify({ email: "h@example.com", password: "password-1" }));
  const res = await rawRequest(server.url, "POST", "/auth/login", { headers: { "content-type": "application/json", "user-agent": "a\u0000b" }, body });
  expect(res.status).toBe(400);
});

test("a Host shorter than 4 characters (a proxy's `db`, `api`) reaches the routes with parameters like any other", async () => {
  for (const host of ["db", "api", "auth.example.com"]) {
    const res = await rawRequest(server.url, "GET", "/storage/o/public/nothing.txt", { headers: { host } });
    expect({ host, status: res.status, body: JSON.parse(res.body) }).toEqual({
      host,
      status: 404,
      body: { statusCode: 404, error: "Not Found", message: "File not found" },
    });
  }
});

test("what the edge refused was written nowhere: no account for the refused sign-ups, no error in the log", async () => {
  const created = await call(server.url, "POST", "/auth/register", { json: { email: "ok@example.com", password: "password-1" } });
  expect(created.status).toBe(200);
  // Faroe lists every account, whichever API made it.
  const users = await call(server.url, "GET", "/faroe/users?count=100", { headers: faroe });
  expect(users.status).toBe(200);
  const emails: string[] = users.body.map((user: { email: string }) => user.email);
  expect(emails).toContain("ok@example.com");
  for (const refused of [NUL_EMAIL, "k@example.com", "d@example.com", "s@example.com"]) expect(emails).not.toContain(refused);
  expect(server.output()).not.toContain(" ERROR ");
});
