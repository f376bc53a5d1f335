// Health, version, docs (offline), CORS, AUTH_ENABLED.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import pkg from "../package.json";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ CORS_ORIGINS: "http://app.example" });
});
afterAll(() => server.stop());

test("GET /health answers 204 and GET /healthz 200 OK", async () => {
  const health = await call(server.url, "GET", "/health");
  expect(health.status).toBe(204);
  expect(health.body).toBe("");
  const healthz = await call(server.url, "GET", "/healthz");
  expect(healthz.status).toBe(200);
  expect(healthz.body).toBe("OK");
});

test("GET /version answers HBP's text", async () => {
  const res = await call(server.url, "GET", "/version");
  expect(res.body).toBe(JSON.stringify({ version: `v${pkg.version}` }));
});

describe("docs", () => {
  test("the OpenAPI document lists the auth routes", async () => {
    const res = await call(server.url, "GET", "/openapi/json");
    expect(res.status).toBe(200);
    for (const path of ["/auth/register", "/auth/login", "/auth/logout", "/auth/token/refresh", "/auth/activate", "/health"]) {
      expect(Object.keys(res.body.paths)).toContain(path);
    }
    expect(res.body.paths["/auth/login"].post.requestBody).toBeDefined();
  });

  test("the docs page loads its script from this server, not a CDN", async () => {
    const page = await call(server.url, "GET", "/openapi");
    expect(page.status).toBe(200);
    expect(page.body).toContain('src="/openapi/scalar.js"');
    expect(page.body).not.toMatch(/<script[^>]+src="https?:/);
    const script = await fetch(`${server.url}/openapi/scalar.js`);
    expect(script.status).toBe(200);
    expect((await script.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
  });
});

describe("CORS", () => {
  test("an allowed origin is reflected with credentials, and preflight answers", async () => {
    const preflight = await call(server.url, "OPTIONS", "/auth/login", {
      headers: { origin: "http://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://app.example");
    expect(preflight.headers.get("access-control-allow-credentials")).toBe("true");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("content-type");
    const actual = await call(server.url, "GET", "/healthz", { headers: { origin: "http://app.example" } });
    expect(actual.headers.get("access-control-allow-origin")).toBe("http://app.example");
  });

  test("another origin gets no CORS headers", async () => {
    const res = await call(server.url, "GET", "/healthz", { headers: { origin: "http://evil.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("AUTH_ENABLED=false", () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startServer({ AUTH_ENABLED: "false" });
  });
  afterAll(() => off.stop());

  test("every /auth route is a 404", async () => {
    const res = await call(off.url, "POST", "/auth/login", { json: { email: "a@example.com", password: "password-1" } });
    expect(res.status).toBe(404);
    expect(res.body.statusCode).toBe(404);
    expect((await call(off.url, "GET", "/healthz")).status).toBe(200);
  });
});
