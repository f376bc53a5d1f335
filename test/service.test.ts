// Health, version, docs (offline), CORS, AUTH_ENABLED.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import pkg from "../package.json";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ CORS_ORIGINS: "http://app.example", LNCRAWL_ENABLED: "true", WOLFPAL_ENABLED: "true", FAROE_CREDENTIAL });
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

test("GET /healthz gets what every answer gets at the edge: its request id, CORS's headers, its body drained", async () => {
  const allowed = await call(server.url, "GET", "/healthz", { headers: { origin: "http://app.example", "x-request-id": "probe-1" } });
  expect(allowed.body).toBe("OK");
  expect(allowed.headers.get("x-request-id")).toBe("probe-1");
  expect(allowed.headers.get("access-control-allow-origin")).toBe("http://app.example");
  expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
  expect(allowed.headers.get("access-control-expose-headers")).toBe("X-Request-Id");
  expect(allowed.headers.get("vary")).toBe("Origin");
  const other = await call(server.url, "GET", "/healthz", { headers: { origin: "http://evil.example", "x-request-id": "not sane!" } });
  expect(other.headers.get("access-control-allow-origin")).toBeNull();
  expect(other.headers.get("vary")).toBeNull();
  const made = other.headers.get("x-request-id");
  expect(made).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect((await call(server.url, "GET", "/healthz")).headers.get("x-request-id")).not.toBe(made);
  // fetch() sends no body with a GET: a raw request does, and gets its answer whole.
  const { hostname, port } = new URL(server.url);
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`));
    let text = "";
    socket.on("data", (chunk) => (text += chunk));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
  expect(raw).toStartWith("HTTP/1.1 200");
  expect(raw).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
  expect(raw).toEndWith("\r\n\r\nOK");
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

  // The headers are added as each answer is made (src/cors.ts): errors, unknown paths and a dialect's own mapping of
  // its answers (lncrawl's JSON `true`) must carry them as well, or a browser app cannot read them.
  test("refusals, unknown paths and every dialect's answers carry the headers", async () => {
    const origin = { origin: "http://app.example" };
    const answers = [
      await call(server.url, "POST", "/auth/login", { json: { email: "nobody@example.com", password: "wrong-password-1" }, headers: origin }),
      await call(server.url, "GET", "/auth/token/refresh?refresh_token=not-a-token", { headers: origin }),
      await call(server.url, "GET", "/no/such/path", { headers: origin }),
      await call(server.url, "GET", "/api/auth/me", { headers: origin }),
      await call(server.url, "POST", "/api/auth/send-password-reset-link", { json: { email: "nobody@example.com" }, headers: origin }),
      await call(server.url, "GET", "/wolfpal/no/such/path", { headers: origin }),
      await call(server.url, "POST", "/storage/o/public/a.txt", { headers: origin }),
      await call(server.url, "POST", "/wolfpal/auth/logout", { headers: origin }),
      await call(server.url, "GET", "/faroe/users", { headers: { ...origin, authorization: FAROE_CREDENTIAL } }),
      await call(server.url, "GET", "/healthz", { headers: origin }),
    ];
    expect(answers.map((res) => res.status)).toEqual([401, 400, 404, 401, 200, 404, 400, 401, 200, 200]);
    expect(answers[4]!.body).toBe(true);
    for (const res of answers) {
      expect(res.headers.get("access-control-allow-origin")).toBe("http://app.example");
      expect(res.headers.get("access-control-allow-credentials")).toBe("true");
      expect(res.headers.get("vary")).toContain("Origin");
    }
  });

  // Without Access-Control-Expose-Headers a browser script sees only the safelisted headers: a web app could not
  // read the id that ties its failed call to the server's log lines.
  test("X-Request-Id is readable by a script on an allowed origin, on every dialect's answers", async () => {
    const origin = { origin: "http://app.example" };
    const answers = [
      await call(server.url, "POST", "/auth/login", { json: { email: "nobody@example.com", password: "wrong-password-1" }, headers: origin }),
      await call(server.url, "GET", "/storage/o/public/missing.txt", { headers: origin }),
      await call(server.url, "POST", "/api/auth/send-password-reset-link", { json: { email: "nobody@example.com" }, headers: origin }),
      await call(server.url, "POST", "/wolfpal/auth/logout", { headers: origin }),
      await call(server.url, "GET", "/faroe/users", { headers: { ...origin, authorization: FAROE_CREDENTIAL } }),
      await call(server.url, "GET", "/no/such/path", { headers: origin }),
      await call(server.url, "GET", "/version", { headers: { ...origin, "x-request-id": "browser-call-7" } }),
    ];
    for (const res of answers) {
      const exposed = (res.headers.get("access-control-expose-headers") ?? "").split(",").map((name) => name.trim().toLowerCase());
      expect(exposed).toContain("x-request-id");
      expect(res.headers.get("x-request-id")).toBeTruthy();
    }
    expect(answers.at(-1)!.headers.get("x-request-id")).toBe("browser-call-7");
    // Another origin gets no CORS headers at all, this one included.
    const foreign = await call(server.url, "GET", "/healthz", { headers: { origin: "http://evil.example" } });
    expect(foreign.headers.get("access-control-expose-headers")).toBeNull();
  });

  test("a preflight answers on every dialect's paths and on unknown ones", async () => {
    for (const path of ["/api/auth/login", "/wolfpal/auth/login", "/storage/o/public/a.txt", "/no/such/path"]) {
      const preflight = await call(server.url, "OPTIONS", path, {
        headers: { origin: "http://app.example", "access-control-request-method": "PUT", "access-control-request-headers": "authorization" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("http://app.example");
      expect(preflight.headers.get("access-control-allow-methods")).toContain("PUT");
      expect(preflight.headers.get("access-control-allow-headers")).toBe("authorization");
    }
  });

  test("an OPTIONS that is no preflight, or comes from another origin, is an unknown route", async () => {
    const plain = await call(server.url, "OPTIONS", "/auth/login", { headers: { origin: "http://app.example" } });
    expect(plain.status).toBe(404);
    expect(plain.body).toEqual({ statusCode: 404, error: "Not Found", message: "Not Found" });
    expect(plain.headers.get("access-control-allow-origin")).toBe("http://app.example");
    const foreign = await call(server.url, "OPTIONS", "/auth/login", {
      headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    expect(foreign.headers.get("access-control-allow-methods")).toBeNull();
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
