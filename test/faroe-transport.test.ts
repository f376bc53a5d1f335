// Faroe's transport: mounted only with FAROE_CREDENTIAL, the credential first (401), then Content-Type (415) and
// Accept (406), Faroe's own 404 under its prefix, INVALID_DATA for bodies that are not what a route takes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../src/config.ts";
import { ConfigError } from "../src/lib/errors.ts";
import { FAROE_CREDENTIAL, faroeCaller, startFaroeServer, type FaroeCaller } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let faroe: FaroeCaller;
beforeAll(async () => {
  server = await startFaroeServer();
  faroe = faroeCaller(server);
});
afterAll(() => server.stop());

describe("the credential", () => {
  test("missing, wrong, or almost right: 401 NOT_AUTHENTICATED on every route, known or not", async () => {
    const cases: [string, string, Record<string, string>][] = [
      ["GET", "/users", {}],
      ["GET", "/users", { authorization: "wrong" }],
      ["GET", "/users", { authorization: `${FAROE_CREDENTIAL}x` }],
      ["GET", "/users", { authorization: `Bearer ${FAROE_CREDENTIAL}` }],
      ["POST", "/users", { authorization: FAROE_CREDENTIAL.slice(0, -1) }],
      ["GET", "/no-such-route", {}],
      ["DELETE", "/users/some-id", {}],
      ["GET", "", {}],
    ];
    for (const [method, path, headers] of cases) {
      const res = await faroe(method, path, { anonymous: true, headers });
      expect({ method, path, status: res.status, body: res.body }).toEqual({ method, path, status: 401, body: { error: "NOT_AUTHENTICATED" } });
    }
  });

  // Faroe is server-to-server: a browser's preflight gets no CORS grant under its prefix, only its 401.
  test("a browser preflight under the prefix is refused like any call without the credential", async () => {
    const res = await call(server.url, "OPTIONS", "/faroe/users", {
      headers: { origin: "http://app.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: "NOT_AUTHENTICATED" });
    expect(res.headers.get("access-control-allow-methods")).toBeNull();
  });

  test("is checked before the content type, the accept header and the body", async () => {
    const res = await call(server.url, "POST", "/faroe/users", {
      body: "{not json",
      headers: { "content-type": "text/html", accept: "text/html", authorization: "wrong" },
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: "NOT_AUTHENTICATED" });
  });

  test("other dialects do not need it", async () => {
    expect((await call(server.url, "GET", "/healthz")).status).toBe(200);
  });
});

describe("content negotiation", () => {
  test("a Content-Type other than JSON: 415 UNSUPPORTED_MEDIA_TYPE", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]) {
      const res = await faroe("POST", "/users", { json: { email: "a@example.com", password: "password-123" }, headers: { "content-type": type } });
      expect({ type, status: res.status, body: res.body }).toEqual({ type, status: 415, body: { error: "UNSUPPORTED_MEDIA_TYPE" } });
    }
  });

  test("JSON with parameters is fine, and no Content-Type at all is fine", async () => {
    const typed = await faroe("GET", "/users", { headers: { "content-type": "application/json; charset=utf-8" } });
    expect(typed.status).toBe(200);
    expect((await faroe("GET", "/users")).status).toBe(200);
  });

  test("an Accept that rules JSON out: 406 NOT_ACCEPTABLE, checked after the content type", async () => {
    for (const accept of ["text/html", "text/plain, image/*", "application/xml"]) {
      const res = await faroe("GET", "/users", { headers: { accept } });
      expect({ accept, status: res.status, body: res.body }).toEqual({ accept, status: 406, body: { error: "NOT_ACCEPTABLE" } });
    }
    const both = await faroe("GET", "/users", { headers: { accept: "text/html", "content-type": "text/plain" } });
    expect(both.status).toBe(415);
  });

  test("Accept allowing JSON, a wildcard, or weighted: fine", async () => {
    for (const accept of ["application/json", "*/*", "application/*", "text/html, application/json;q=0.9"]) {
      expect((await faroe("GET", "/users", { headers: { accept } })).status).toBe(200);
    }
  });
});

describe("routing and bad input", () => {
  test("unknown paths and methods under the prefix: 404 NOT_FOUND in Faroe's shape", async () => {
    for (const [method, path] of [
      ["GET", "/nope"],
      ["GET", ""],
      ["PUT", "/users"],
      ["GET", "/users/x/y/z"],
      ["POST", "/login"],
    ] as const) {
      const res = await faroe(method, path);
      expect({ method, path, status: res.status, body: res.body }).toEqual({ method, path, status: 404, body: { error: "NOT_FOUND" } });
    }
  });

  test("paths outside the prefix keep HBP's shape", async () => {
    const res = await call(server.url, "GET", "/faroex", { headers: { authorization: FAROE_CREDENTIAL } });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ statusCode: 404 });
  });

  test("bodies that are not what the route takes: 400 INVALID_DATA, never a 500", async () => {
    const bodies: RequestInit["body"][] = [
      "{not json",
      "[]",
      '"text"',
      "null",
      "{}",
      JSON.stringify({ email: "a@example.com" }),
      JSON.stringify({ email: 5, password: "password-123" }),
      JSON.stringify({ email: "a@example.com", password: null }),
    ];
    for (const body of bodies) {
      const res = await call(server.url, "POST", "/faroe/users", {
        body,
        headers: { authorization: FAROE_CREDENTIAL, "content-type": "application/json" },
      });
      expect({ body, status: res.status, answer: res.body }).toEqual({ body, status: 400, answer: { error: "INVALID_DATA" } });
    }
    const empty = await faroe("POST", "/users");
    expect(empty.body).toEqual({ error: "INVALID_DATA" });
  });

  test("unknown fields are ignored, as Faroe's JSON decoding does", async () => {
    const res = await faroe("POST", "/users", { json: { email: "extra@example.com", password: "password-123", context: "x", other: 1 } });
    expect(res.status).toBe(200);
  });

  test("a body over 64 KiB: INVALID_DATA", async () => {
    const res = await faroe("POST", "/users", { json: { email: "big@example.com", password: "x".repeat(70_000) } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: "INVALID_DATA" });
  });
});

describe("settings", () => {
  test("without FAROE_CREDENTIAL nothing is mounted: every Faroe path is an unknown path", async () => {
    const plain = await startServer();
    try {
      for (const path of ["/faroe/users", "/faroe/login/password"]) {
        const res = await call(plain.url, "GET", path, { headers: { authorization: FAROE_CREDENTIAL } });
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ statusCode: 404 });
      }
    } finally {
      await plain.stop();
    }
  });

  test("FAROE_PREFIX moves the mount", async () => {
    const moved = await startFaroeServer({ FAROE_PREFIX: "/api/faroe/" });
    try {
      expect((await faroeCaller(moved, "/api/faroe")("GET", "/users")).status).toBe(200);
      expect((await faroeCaller(moved, "/faroe")("GET", "/users")).status).toBe(404);
    } finally {
      await moved.stop();
    }
  });

  test("a credential shorter than 16 characters or a bad prefix stops start-up", () => {
    expect(() => loadConfig({ FAROE_CREDENTIAL: "short" })).toThrow(ConfigError);
    expect(() => loadConfig({ FAROE_CREDENTIAL, FAROE_PREFIX: "faroe" })).toThrow(/FAROE_PREFIX/);
    const config = loadConfig({ FAROE_CREDENTIAL, HIBP_ENABLED: "true" });
    expect(config.faroe).toEqual({ credential: FAROE_CREDENTIAL, prefix: "/faroe" });
    expect(config.passwords.hibpEnabled).toBe(true);
    expect(loadConfig({}).faroe.credential).toBeNull();
    expect(loadConfig({}).passwords.hibpEnabled).toBe(false);
  });
});
