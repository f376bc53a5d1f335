// Rate limits on guesses: per account and per client IP, X-Forwarded-For only from TRUSTED_PROXIES, kept across restarts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

const register = (url: string, email: string) =>
  call(url, "POST", "/auth/register", { json: { email, password: "right-password", cookie: false } });
const login = (url: string, email: string, password: string, headers: Record<string, string> = {}) =>
  call(url, "POST", "/auth/login", { json: { email, password, cookie: false }, headers });

describe("per account", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ LOST_PASSWORD_ENABLED: "true" });
  });
  afterAll(() => server.stop());

  test("the 6th wrong password in a window gets 429 with Retry-After, even with the right password", async () => {
    await register(server.url, "target@example.com");
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await login(server.url, "target@example.com", `wrong-${attempt}`)).status).toBe(401);
    }
    const sixth = await login(server.url, "target@example.com", "right-password");
    expect(sixth.status).toBe(429);
    expect(sixth.body).toEqual({ statusCode: 429, error: "Too Many Requests", message: "You are being rate limited." });
    const retryAfter = Number(sixth.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // Another account is not affected.
    await register(server.url, "bystander@example.com");
    expect((await login(server.url, "bystander@example.com", "right-password")).status).toBe(200);
  });

  test("an unknown address is limited the same way (no enumeration through the limiter)", async () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await login(server.url, "ghost@example.com", `wrong-${attempt}`)).status).toBe(401);
    }
    expect((await login(server.url, "ghost@example.com", "wrong-6")).status).toBe(429);
  });

  test("a reset-mail request neither clears nor fills the failed-password count", async () => {
    await register(server.url, "mailer@example.com");
    for (let attempt = 1; attempt <= 5; attempt++) await login(server.url, "mailer@example.com", "wrong-pass");
    expect((await call(server.url, "POST", "/auth/change-password/request", { json: { email: "mailer@example.com" } })).status).toBe(204);
    expect((await login(server.url, "mailer@example.com", "right-password")).status).toBe(429);
  });

  test("reset mails to one address are limited", async () => {
    const statuses: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      statuses.push((await call(server.url, "POST", "/auth/change-password/request", { json: { email: "flooded@example.com" } })).status);
    }
    expect(statuses).toEqual([204, 204, 204, 204, 204, 429]);
  });

  test("a success clears the account's count", async () => {
    await register(server.url, "forgetful@example.com");
    for (let round = 0; round < 3; round++) {
      for (let attempt = 1; attempt <= 4; attempt++) await login(server.url, "forgetful@example.com", "wrong-pass");
      expect((await login(server.url, "forgetful@example.com", "right-password")).status).toBe(200);
    }
  });

  test("still in force after a restart (the state is in the database)", async () => {
    const dataDir = server.dataDir;
    const first = await startServer({}, { dataDir });
    try {
      await register(first.url, "persistent@example.com");
      for (let attempt = 1; attempt <= 5; attempt++) await login(first.url, "persistent@example.com", "wrong-pass");
    } finally {
      await first.stop();
    }
    const second = await startServer({}, { dataDir });
    try {
      expect((await login(second.url, "persistent@example.com", "right-password")).status).toBe(429);
    } finally {
      await second.stop();
    }
  });
});

describe("per IP", () => {
  let proxied: TestServer;
  let direct: TestServer;
  beforeAll(async () => {
    const env = { RATE_LIMIT_MAX_PER_IP: "3" };
    [proxied, direct] = await Promise.all([startServer({ ...env, TRUSTED_PROXIES: "127.0.0.1/8,::1" }), startServer(env)]);
  });
  afterAll(() => Promise.all([proxied.stop(), direct.stop()]));

  test("behind a trusted proxy, each forwarded client has its own limit", async () => {
    const from = (ip: string) => ({ "x-forwarded-for": `${ip}, 127.0.0.1` });
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await login(proxied.url, `spray${attempt}@example.com`, "guess", from("203.0.113.7"))).status).toBe(401);
    }
    expect((await login(proxied.url, "spray4@example.com", "guess", from("203.0.113.7"))).status).toBe(429);
    expect((await login(proxied.url, "spray5@example.com", "guess", from("203.0.113.8"))).status).toBe(401);
  });

  test("without TRUSTED_PROXIES, X-Forwarded-For is ignored", async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const res = await login(direct.url, `spray${attempt}@example.com`, "guess", { "x-forwarded-for": `198.51.100.${attempt}` });
      expect(res.status).toBe(401);
    }
    expect((await login(direct.url, "spray9@example.com", "guess", { "x-forwarded-for": "198.51.100.99" })).status).toBe(429);
  });
});
