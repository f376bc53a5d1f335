// Logs an operator can ship and search: LOG_FORMAT=json writes one JSON object per line (level, time, msg and the
// fields), every request of every dialect has one access line (method, route pattern, status, duration, bytes,
// client IP, request id) with no secret in it, X-Request-Id is honoured when sane and made otherwise, and echoed;
// LOG_LEVEL=warn keeps info lines out. That no server of the suite logs a secret is checked by test/support/server.ts
// whenever one stops.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { backendEnv } from "./support/backend.ts";
import { eventually } from "./support/eventually.ts";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import { closedPort } from "./support/ports.ts";
import { spawnProcess } from "./support/process.ts";
import { latchkeyCommand, startServer, TEST_JWT_KEY, type TestServer } from "./support/server.ts";
import { assertNoSecretsIn, rememberSecret, secretsIn, usedAsName } from "./support/secrets.ts";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PASSWORD = "logs-password-4711";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface LogLine {
  level: string;
  time: string;
  msg: string;
  [field: string]: unknown;
}

describe("LOG_FORMAT=json", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      LOG_FORMAT: "json",
      LOG_REQUESTS: "true",
      LNCRAWL_ENABLED: "true",
      WOLFPAL_ENABLED: "true",
      FAROE_CREDENTIAL,
      TRUSTED_PROXIES: "127.0.0.1/8,::1",
    });
  });
  afterAll(() => server.stop());

  /** Every line the server printed so far, parsed (a line that is not one JSON object fails the test). */
  const lines = (): LogLine[] =>
    server
      .output()
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const parsed = JSON.parse(line) as LogLine;
        expect(parsed).toBeObject();
        return parsed;
      });

  /** The access line of the request with `id`, once it is printed. */
  const accessLine = (id: string): Promise<LogLine> =>
    eventually(() => lines().find((line) => line.msg === "request" && line.request_id === id), { what: `the access line of ${id}` });

  test("an HBP login: route pattern, status, client IP, duration and size; the id sent is honoured and echoed", async () => {
    const email = `json-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await call(server.url, "POST", "/auth/register", { json: { email, password: PASSWORD, cookie: false } })).status).toBe(200);
    const id = "client-request:42.a_b";
    const res = await call(server.url, "POST", "/auth/login", {
      json: { email, password: PASSWORD, cookie: false },
      headers: { "x-request-id": id, "x-forwarded-for": "198.51.100.23" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe(id);
    const line = await accessLine(id);
    expect(line).toMatchObject({ level: "info", msg: "request", method: "POST", route: "/auth/login", status: 200, ip: "198.51.100.23" });
    expect(line.duration_ms).toBeNumber();
    expect(line.bytes).toBe(Number(res.headers.get("content-length")));
    expect(line.bytes).toBeGreaterThan(100);
    expect(Date.parse(line.time)).not.toBeNaN();
  });

  test("a missing or unsafe X-Request-Id is replaced by a UUID, echoed on the answer", async () => {
    const made = await call(server.url, "GET", "/healthz");
    expect(made.headers.get("x-request-id")).toMatch(UUID);
    expect(await accessLine(made.headers.get("x-request-id")!)).toMatchObject({ method: "GET", route: "/healthz", status: 200 });

    for (const unsafe of ["has spaces in it", "x".repeat(129), "quote\"and=equals", "semi;colon"]) {
      const res = await call(server.url, "GET", "/version", { headers: { "x-request-id": unsafe } });
      const echoed = res.headers.get("x-request-id")!;
      expect(echoed).toMatch(UUID);
      expect((await accessLine(echoed)).route).toBe("/version");
      expect(server.output()).not.toContain(unsafe);
    }
  });

  test("the route pattern, never the raw path or its query, for every dialect and for unknown paths", async () => {
    const ticket = crypto.randomUUID();
    const cases: { method: string; path: string; options?: Parameters<typeof call>[3]; route: string }[] = [
      { method: "GET", path: `/auth/activate?ticket=${ticket}`, route: "/auth/activate" },
      { method: "GET", path: `/storage/o/user/${ticket}/secret.txt?token=${ticket}`, route: "/storage/o/*" },
      { method: "GET", path: `/faroe/users/${ticket}`, options: { headers: { authorization: FAROE_CREDENTIAL } }, route: "/faroe/users/:user_id" },
      { method: "POST", path: "/api/auth/login", options: { json: { email: "nobody@example.com", password: PASSWORD } }, route: "/api/auth/login" },
      { method: "PUT", path: `/wolfpal/user/activate-account/${ticket}`, route: "/wolfpal/user/activate-account/:token" },
      { method: "GET", path: `/no/such/path/${ticket}?code=${ticket}`, route: "-" },
    ];
    for (const { method, path, options, route } of cases) {
      const res = await call(server.url, method, path, options);
      const line = await accessLine(res.headers.get("x-request-id")!);
      expect({ path, method: line.method, route: line.route, status: line.status }).toEqual({ path, method, route, status: res.status });
    }
    expect(server.output()).not.toContain(ticket);
  });

  test("the suite's check at every server's stop sees the passwords, tokens and cookies the tests handled", async () => {
    const email = `seen-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const password = `seen-${crypto.randomUUID()}`;
    const res = await call(server.url, "POST", "/auth/register", { json: { email, password, cookie: false } });
    expect(res.status).toBe(200);
    const login = await call(server.url, "POST", "/auth/login", { json: { email, password } });
    const refreshCookie = login.cookies.find((cookie) => cookie.startsWith("refresh_token="))!;
    expect(secretsIn(`a line with ${password} in it`)).toEqual([expect.stringContaining("password")]);
    expect(secretsIn(`token=${res.body.refresh_token}`)).toEqual([expect.stringContaining("refresh_token")]);
    expect(secretsIn(`jwt ${res.body.jwt_token.split(".").slice(0, 2).join(".")}.`)).toContain("a JWT");
    expect(secretsIn(`cookie ${refreshCookie.split(";")[0]}`).length).toBeGreaterThan(0);
    expect(secretsIn(server.output())).toEqual([]);
    expect(() => assertNoSecretsIn(`INFO oops password=${password}`, "a leaking server")).toThrow(/a leaking server logged a password/);
  });

  test("a logged account name that holds a secret as a part is the name, not that secret (the fuzzer types passwords as addresses)", () => {
    const secret = `part-${crypto.randomUUID().slice(0, 8)}`;
    rememberSecret("password", secret);
    usedAsName(`${secret}-typed`);
    expect(secretsIn(`WARN security event=locked_out account=email:${secret}-typed`)).toEqual([]);
    expect(secretsIn(`WARN security event=locked_out account=email:${secret}-typed password=${secret}`)).toEqual([expect.stringContaining("password")]);
  });

  // The id ties a user's report (the answer's X-Request-Id) and a proxy's log to what latchkey logged for the call.
  test("a line logged while a request is handled carries its request_id: a wrong password's security event", async () => {
    const securityLine = (ip: string): Promise<LogLine> =>
      eventually(() => lines().find((line) => line.msg.startsWith(`security event=sign_in_failed ip=${ip} `)), { what: `the event from ${ip}` });
    const wrong = (ip: string, headers: Record<string, string> = {}) =>
      call(server.url, "POST", "/auth/login", {
        json: { email: "nobody-id@example.com", password: "wrong-password-0817", cookie: false },
        headers: { "x-forwarded-for": ip, ...headers },
      });

    const sent = await wrong("203.0.113.91", { "x-request-id": "report-4711" });
    expect(sent.status).toBe(401);
    expect(sent.headers.get("x-request-id")).toBe("report-4711");
    expect(await securityLine("203.0.113.91")).toMatchObject({ level: "warn", request_id: "report-4711" });

    const made = await wrong("203.0.113.92");
    expect(made.headers.get("x-request-id")).toMatch(UUID);
    expect((await securityLine("203.0.113.92")).request_id).toBe(made.headers.get("x-request-id")!);
    // The same on another dialect (lncrawl's login, through the same core).
    const lncrawl = await call(server.url, "POST", "/api/auth/login", {
      json: { email: "nobody-id@example.com", password: "wrong-password-0818" },
      headers: { "x-forwarded-for": "203.0.113.93", "x-request-id": "lncrawl-call-1" },
    });
    expect(lncrawl.status).toBe(401);
    expect((await securityLine("203.0.113.93")).request_id).toBe("lncrawl-call-1");
  });

  test("lines logged outside a request carry no request_id: start-up, and a mail sent after the answer that queued it", async () => {
    expect(lines().find((line) => line.msg.includes("listening on http://"))!.request_id).toBeUndefined();
    const email = `mail-id-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await call(server.url, "POST", "/auth/register", { json: { email, password: PASSWORD, cookie: false } })).status).toBe(200);
    const asked = await call(server.url, "POST", "/api/auth/send-password-reset-link", { json: { email }, headers: { "x-request-id": "queued-mail-1" } });
    expect(asked.status).toBe(200);
    const sentLine = await eventually(() => lines().find((line) => line.msg === "mail sent" && line.to === email), { what: "the mail sent line" });
    // The mail worker runs apart from the request (src/core/mail/worker.ts): its lines are not that request's.
    expect(sentLine.request_id).toBeUndefined();
    expect((await accessLine("queued-mail-1")).route).toBe("/api/auth/send-password-reset-link");
  });

  test("every line is one JSON object with level, time and msg; security events keep their text in msg", async () => {
    const res = await call(server.url, "POST", "/auth/login", {
      json: { email: "nobody-json@example.com", password: "wrong-password-0815", cookie: false },
      headers: { "x-forwarded-for": "203.0.113.77" },
    });
    expect(res.status).toBe(401);
    const event = await eventually(() => lines().find((line) => line.msg.startsWith("security event=sign_in_failed ip=203.0.113.77 ")), {
      what: "the security event",
    });
    expect(event.level).toBe("warn");
    // The README's failregex for JSON lines, as fail2ban applies it (<HOST> an address), finds the attacker's address.
    const readme = readFileSync(join(import.meta.dir, "..", "README.md"), "utf8");
    const jsonFilter = /`failregex = (\^\\\{"level".*?)`/.exec(readme)![1]!;
    const failure = new RegExp(jsonFilter.replace("<HOST>", "(?<host>[0-9A-Fa-f.:]+)"));
    const hosts = server.output().split("\n").map((line) => failure.exec(line)?.groups?.host).filter(Boolean);
    expect(hosts).toContain("203.0.113.77");
    expect(hosts.length).toBe(lines().filter((line) => line.level === "warn" && line.msg.startsWith("security event=")).length);
    const all = lines();
    expect(all.some((line) => line.msg.includes("listening on http://"))).toBe(true);
    for (const line of all) {
      expect(["debug", "info", "warn", "error"]).toContain(line.level);
      expect(Date.parse(line.time)).not.toBeNaN();
      expect(line.msg).toBeString();
    }
  });
});

describe("LOG_FORMAT=text (the default)", () => {
  test("one access line per request with LOG_REQUESTS=true, as key=value after the time and level", async () => {
    const server = await startServer({ LOG_REQUESTS: "true" });
    try {
      const res = await call(server.url, "GET", "/healthz", { headers: { "x-request-id": "text-format-1" } });
      expect(res.headers.get("x-request-id")).toBe("text-format-1");
      const [line] = await server.waitFor(/^.* request_id=text-format-1$/m);
      expect(line).toMatch(
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z INFO request method=GET route=\/healthz status=200 duration_ms=[\d.]+ bytes=2 ip=127\.0\.0\.1 request_id=text-format-1$/,
      );
    } finally {
      await server.stop();
    }
  });

  test("without LOG_REQUESTS no access line is written, and the request id is still echoed", async () => {
    const server = await startServer();
    try {
      const res = await call(server.url, "GET", "/healthz", { headers: { "x-request-id": "no-line-1" } });
      expect(res.headers.get("x-request-id")).toBe("no-line-1");
      const generated = (await call(server.url, "GET", "/healthz")).headers.get("x-request-id");
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      // Each request its own id, in a version 4 UUID's shape.
      const next = (await call(server.url, "GET", "/healthz")).headers.get("x-request-id");
      expect(next).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(next).not.toBe(generated);
      // A later line proves the earlier ones had their chance to be written.
      await call(server.url, "POST", "/auth/login", { json: { email: "nobody-here@example.com", password: "not-the-password-1" } });
      await server.waitFor(/security event=sign_in_failed/);
      expect(server.output()).not.toContain("no-line-1");
      expect(server.output()).not.toMatch(/ request method=/);
    } finally {
      await server.stop();
    }
  });
});

test("LOG_LEVEL=warn writes warnings and errors, and no info line (no access line) but the start-up line", async () => {
  // The server is given a free port and asked until it answers (the start-up line, written at every level for a CI
  // harness, is checked below and in test/ci-mode.test.ts).
  const dataDir = mkdtempSync(join(tmpdir(), "latchkey-test-"));
  const port = await closedPort();
  const env = { PATH: process.env.PATH ?? "", HOME: dataDir, HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir, JWT_KEY: TEST_JWT_KEY, LOG_LEVEL: "warn", LOG_REQUESTS: "true", TRUSTED_PROXIES: "127.0.0.1/8,::1", ...(await backendEnv(dataDir)) };
  const child = spawnProcess([...latchkeyCommand(), "serve"], { cwd: dataDir, env, name: "latchkey" });
  try {
    const url = `http://127.0.0.1:${port}`;
    await eventually(() => fetch(`${url}/healthz`).then((res) => res.status === 200, () => false), { what: "the server answering", timeoutMs: 20_000 });
    const res = await call(url, "POST", "/auth/login", {
      json: { email: "nobody-warn@example.com", password: "wrong-password-0816", cookie: false },
      headers: { "x-forwarded-for": "203.0.113.78" },
    });
    expect(res.status).toBe(401);
    // The id is made and echoed whatever the level.
    expect(res.headers.get("x-request-id")).toMatch(UUID);
    const [line] = await child.waitFor(/^.* WARN security event=sign_in_failed ip=203\.0\.113\.78 .*$/m, 10_000);
    // As text, the request's id follows the event's own fields.
    expect(line).toEndWith(` request_id=${res.headers.get("x-request-id")}`);
  } finally {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const lines = child.output().split("\n");
  expect(lines.filter((line) => / INFO latchkey \S+ listening on http:/.test(line))).toHaveLength(1);
  expect(lines.filter((line) => !/ INFO latchkey \S+ listening on http:/.test(line)).join("\n")).not.toMatch(/ (INFO|DEBUG) /);
  expect(child.output()).not.toContain("route=");
  assertNoSecretsIn(child.output(), "latchkey");
});

test("a bad LOG_LEVEL or LOG_FORMAT stops start-up, naming it", async () => {
  const { runLatchkey } = await import("./support/server.ts");
  const dataDir = mkdtempSync(join(tmpdir(), "latchkey-test-"));
  try {
    for (const [name, value] of [["LOG_LEVEL", "verbose"], ["LOG_FORMAT", "xml"]] as const) {
      const result = await runLatchkey(["serve"], { DATA_DIR: dataDir, PORT: "0", [name]: value }, dataDir);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`${name}: expected one of`);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
