// Rate limits on guesses (core/throttling/guesses.ts): per (account, client IP) strictly, per account from all addresses at a high
// cap with growing delays, per client IP across accounts; X-Forwarded-For only from TRUSTED_PROXIES; kept across restarts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

const register = (url: string, email: string) =>
  call(url, "POST", "/auth/register", { json: { email, password: "right-password", cookie: false } });
const login = (url: string, email: string, password: string, headers: Record<string, string> = {}) =>
  call(url, "POST", "/auth/login", { json: { email, password, cookie: false }, headers });

/** Headers that make a request come from `ip`, through the trusted proxy on 127.0.0.1. */
const from = (ip: string) => ({ "x-forwarded-for": `${ip}, 127.0.0.1` });
const PROXIED = { TRUSTED_PROXIES: "127.0.0.1/8,::1" };

describe("per account and client IP", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ...PROXIED, LOST_PASSWORD_ENABLED: "true" });
  });
  afterAll(() => server.stop());

  test("5 wrong passwords stop the attacker's address, even with the right password; the owner elsewhere signs in", async () => {
    await register(server.url, "target@example.com");
    const attacker = from("203.0.113.7");
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await login(server.url, "target@example.com", `wrong-password-${attempt}`, attacker)).status).toBe(401);
    }
    const sixth = await login(server.url, "target@example.com", "right-password", attacker);
    expect(sixth.status).toBe(429);
    expect(sixth.body).toEqual({ statusCode: 429, error: "Too Many Requests", message: "You are being rate limited." });
    const retryAfter = Number(sixth.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    // The owner, from their own address: the attacker's failures are not theirs.
    expect((await login(server.url, "target@example.com", "right-password", from("198.51.100.20"))).status).toBe(200);
    // ...and the attacker's address stays stopped (the owner's success is not the attacker's).
    expect((await login(server.url, "target@example.com", "right-password", attacker)).status).toBe(429);
    // Another account is not affected, from the attacker's address either.
    await register(server.url, "bystander@example.com");
    expect((await login(server.url, "bystander@example.com", "right-password", attacker)).status).toBe(200);
  });

  test("an unknown address is limited the same way (no enumeration through the limiter)", async () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await login(server.url, "ghost@example.com", `wrong-password-${attempt}`, from("203.0.113.8"))).status).toBe(401);
    }
    expect((await login(server.url, "ghost@example.com", "wrong-password-6", from("203.0.113.8"))).status).toBe(429);
    expect((await login(server.url, "ghost@example.com", "wrong-password-7", from("203.0.113.9"))).status).toBe(401);
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

  test("a success clears the count", async () => {
    await register(server.url, "forgetful@example.com");
    for (let round = 0; round < 2; round++) {
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

describe("per account from all addresses", () => {
  let server: TestServer;
  beforeAll(async () => {
    // A small cap, and no spacing before it, to reach it in a test.
    server = await startServer({ ...PROXIED, RATE_LIMIT_MAX_PER_ACCOUNT: "20", RATE_LIMIT_DELAY_AFTER: "1000" });
  });
  afterAll(() => server.stop());

  test("RATE_LIMIT_MAX_PER_ACCOUNT failures from many addresses stop every address, the owner's too", async () => {
    await register(server.url, "botnet-target@example.com");
    for (let address = 1; address <= 4; address++) {
      for (let attempt = 1; attempt <= 5; attempt++) {
        const res = await login(server.url, "botnet-target@example.com", "wrong-password", from(`203.0.113.${address}`));
        expect({ address, attempt, status: res.status }).toEqual({ address, attempt, status: 401 });
      }
    }
    const owner = await login(server.url, "botnet-target@example.com", "right-password", from("198.51.100.20"));
    expect(owner.status).toBe(429);
    expect(Number(owner.headers.get("retry-after"))).toBeGreaterThan(0);
    // Other accounts are not affected.
    await register(server.url, "calm@example.com");
    expect((await login(server.url, "calm@example.com", "right-password", from("203.0.113.1"))).status).toBe(200);
  });
});

describe("growing delays past RATE_LIMIT_DELAY_AFTER failures", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ ...PROXIED, RATE_LIMIT_DELAY_AFTER: "3" });
  });
  afterAll(() => server.stop());

  test("a try that comes too soon after the last failure is refused with 429 and Retry-After, from any address", async () => {
    await register(server.url, "paced@example.com");
    for (const address of [1, 2, 3]) {
      expect((await login(server.url, "paced@example.com", "wrong-password", from(`203.0.113.${address}`))).status).toBe(401);
    }
    const early = await login(server.url, "paced@example.com", "right-password", from("198.51.100.20"));
    expect(early.status).toBe(429);
    expect(early.body).toEqual({ statusCode: 429, error: "Too Many Requests", message: "You are being rate limited." });
    const retryAfter = Number(early.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Once the delay has passed, the owner gets in (refused tries counted nowhere, so they did not push it further).
    let owner = early;
    while (owner.status === 429) {
      await Bun.sleep(100);
      owner = await login(server.url, "paced@example.com", "right-password", from("198.51.100.20"));
    }
    expect(owner.status).toBe(200);
    // The owner's success cleared the account's count: the next failure answers at once.
    expect((await login(server.url, "paced@example.com", "wrong-password", from("203.0.113.4"))).status).toBe(401);
  });
});

describe("per IP", () => {
  let proxied: TestServer;
  let direct: TestServer;
  beforeAll(async () => {
    const env = { RATE_LIMIT_MAX_PER_IP: "3" };
    [proxied, direct] = await Promise.all([startServer({ ...env, ...PROXIED }), startServer(env)]);
  });
  afterAll(() => Promise.all([proxied.stop(), direct.stop()]));

  test("behind a trusted proxy, each forwarded client has its own limit", async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await login(proxied.url, `spray${attempt}@example.com`, "guess-password", from("203.0.113.7"))).status).toBe(401);
    }
    expect((await login(proxied.url, "spray4@example.com", "guess-password", from("203.0.113.7"))).status).toBe(429);
    expect((await login(proxied.url, "spray5@example.com", "guess-password", from("203.0.113.8"))).status).toBe(401);
  });

  test("without TRUSTED_PROXIES, X-Forwarded-For is ignored", async () => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const res = await login(direct.url, `spray${attempt}@example.com`, "guess-password", { "x-forwarded-for": `198.51.100.${attempt}` });
      expect(res.status).toBe(401);
    }
    expect((await login(direct.url, "spray9@example.com", "guess-password", { "x-forwarded-for": "198.51.100.99" })).status).toBe(429);
  });
});
