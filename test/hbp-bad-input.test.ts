// Bad input of every kind gets a 400 (or 413) in HBP's shape, never a 500, and writes nothing.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

const JSON_TYPE = { "content-type": "application/json" };
const HUGE_EMAIL = `${"a".repeat(1_000_000)}@example.com`;

interface Scenario {
  name: string;
  path: string;
  body: string;
  headers?: Record<string, string>;
  status: number;
  message?: string;
}

const scenarios: Scenario[] = [
  { name: "missing email", path: "/auth/register", body: '{"password":"password-1"}', status: 400, message: '"email" is required' },
  { name: "missing password", path: "/auth/register", body: '{"email":"a@example.com"}', status: 400, message: '"password" is required' },
  { name: "email not a string", path: "/auth/register", body: '{"email":5,"password":"password-1"}', status: 400, message: '"email" must be a string' },
  { name: "email not an address", path: "/auth/register", body: '{"email":"nope","password":"password-1"}', status: 400, message: '"email" must be a valid email' },
  { name: "password not a string", path: "/auth/register", body: '{"email":"a@example.com","password":12345678}', status: 400, message: '"password" must be a string' },
  { name: "password too long", path: "/auth/register", body: JSON.stringify({ email: "a@example.com", password: "x".repeat(129) }), status: 400, message: '"password" length must be less than or equal to 128 characters long' },
  { name: "cookie not a boolean", path: "/auth/register", body: '{"email":"a@example.com","password":"password-1","cookie":"yes"}', status: 400, message: '"cookie" must be a boolean' },
  { name: "unknown field", path: "/auth/register", body: '{"email":"a@example.com","password":"password-1","admin":true}', status: 400, message: '"admin" is not allowed' },
  { name: "user_data not an object", path: "/auth/register", body: '{"email":"a@example.com","password":"password-1","user_data":"x"}', status: 400 },
  { name: "roles not an array", path: "/auth/register", body: '{"email":"a@example.com","password":"password-1","register_options":{"allowed_roles":"user"}}', status: 400 },
  { name: "null email", path: "/auth/register", body: '{"email":null,"password":"password-1"}', status: 400 },
  { name: "a 1 MB email", path: "/auth/register", body: JSON.stringify({ email: HUGE_EMAIL, password: "password-1" }), status: 400 },
  { name: "invalid JSON", path: "/auth/register", body: '{"email": "a@example.com",', status: 400, message: "The request body is not valid JSON." },
  { name: "a JSON array", path: "/auth/register", body: "[]", status: 400 },
  { name: "a JSON string", path: "/auth/login", body: '"hello"', status: 400 },
  { name: "an empty body", path: "/auth/login", body: "", status: 400 },
  { name: "a body over 1 MiB", path: "/auth/login", body: JSON.stringify({ email: "a@example.com", password: "x".repeat(2_000_000) }), status: 413 },
  { name: "login with a wrong type", path: "/auth/login", body: '{"email":"a@example.com","password":["x"]}', status: 400, message: '"password" must be a string' },
  { name: "logout with all not a boolean", path: "/auth/logout?refresh_token=00000000-0000-4000-8000-000000000000", body: '{"all":"yes"}', status: 400 },
  { name: "form-encoded instead of JSON", path: "/auth/login", body: "email=a%40example.com&password=x", headers: { "content-type": "application/x-www-form-urlencoded" }, status: 400 },
];

test.each(scenarios.map((scenario) => [scenario.name, scenario] as const))("%s", async (_, scenario) => {
  const res = await call(server.url, "POST", scenario.path, { body: scenario.body, headers: scenario.headers ?? JSON_TYPE });
  expect(res.status).toBe(scenario.status);
  expect(res.body).toEqual({
    statusCode: scenario.status,
    error: scenario.status === 413 ? "Payload Too Large" : "Bad Request",
    message: scenario.message ?? expect.any(String),
  });
});

test("none of the refused registrations created an account", async () => {
  const res = await call(server.url, "POST", "/auth/register", { json: { email: "a@example.com", password: "password-1" } });
  expect(res.status).toBe(200);
});

test("unknown routes answer 404 in HBP's shape", async () => {
  for (const [method, path] of [["GET", "/nope"], ["POST", "/auth/nope"], ["GET", "/auth/login"], ["DELETE", "/auth/register"]] as const) {
    const res = await call(server.url, method, path);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ statusCode: 404, error: "Not Found", message: "Not Found" });
  }
});
