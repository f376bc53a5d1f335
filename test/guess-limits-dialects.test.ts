// lncrawl's and WolfPal's logins share HBP's throttling policy (core/throttling/guesses.ts): an attacker's address is stopped
// after 5 wrong passwords for an address while the owner signs in from another, each answering in its own format,
// and the counts are one across dialects (switching API gains an attacker nothing), and across an account's username
// and address. Also: a wrong mailed OTP counts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { linkIn, startSmtp, type TestSmtp } from "./support/smtp.ts";

const PASSWORD = "right-password";
let smtp: TestSmtp;
let server: TestServer;

beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({
    ...smtp.env,
    LNCRAWL_ENABLED: "true",
    WOLFPAL_ENABLED: "true",
    TRUSTED_PROXIES: "127.0.0.1/8,::1",
    ADMIN_EMAIL: "root@example.com",
    ADMIN_PASSWORD: "root-password-1",
  });
});
afterAll(async () => {
  await server.stop();
  await smtp.close();
});

/** Headers that make a request come from `ip`, through the trusted proxy on 127.0.0.1. */
const from = (ip: string) => ({ "x-forwarded-for": `${ip}, 127.0.0.1` });

async function newAccount(tag: string): Promise<string> {
  const email = `${tag}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call(server.url, "POST", "/auth/register", { json: { email, password: PASSWORD, cookie: false } });
  expect(res.status).toBe(200);
  return email;
}

const lncrawlLogin = (email: string, password: string, ip: string) =>
  call(server.url, "POST", "/api/auth/login", { json: { email, password }, headers: from(ip) });
const wolfpalLogin = (email: string, password: string, ip: string) =>
  call(server.url, "POST", "/wolfpal/auth/login", {
    body: new URLSearchParams({ email, password }).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", ...from(ip) },
  });
const hbpLogin = (email: string, password: string, ip: string) =>
  call(server.url, "POST", "/auth/login", { json: { email, password, cookie: false }, headers: from(ip) });

const dialects = [
  { name: "lncrawl", login: lncrawlLogin, wrong: 401, limited: { error: "Too many requests", detail: null } },
  { name: "WolfPal", login: wolfpalLogin, wrong: 400, limited: { code: "TOO_MANY_REQUESTS", error: "Too many requests; try again later." } },
];

for (const dialect of dialects) {
  describe(`${dialect.name} login`, () => {
    test("5 wrong passwords stop the attacker's address; the owner from another address signs in", async () => {
      const email = await newAccount(dialect.name.toLowerCase());
      for (let attempt = 1; attempt <= 5; attempt++) {
        expect((await dialect.login(email, `wrong-password-${attempt}`, "203.0.113.7")).status).toBe(dialect.wrong);
      }
      const stopped = await dialect.login(email, PASSWORD, "203.0.113.7");
      expect(stopped.status).toBe(429);
      expect(stopped.body).toEqual(dialect.limited);
      expect(Number(stopped.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await dialect.login(email, PASSWORD, "198.51.100.20")).status).toBe(200);
    });

    test("the counts are shared with HBP: failures here stop the same address there", async () => {
      const email = await newAccount(`${dialect.name.toLowerCase()}-shared`);
      for (let attempt = 1; attempt <= 5; attempt++) await dialect.login(email, `wrong-password-${attempt}`, "203.0.113.8");
      expect((await hbpLogin(email, PASSWORD, "203.0.113.8")).status).toBe(429);
      expect((await hbpLogin(email, PASSWORD, "198.51.100.21")).status).toBe(200);
    });
  });
}

describe("an account's username and address", () => {
  test("are one account to the limits: 5 wrong by username stop that address's tries by email too", async () => {
    const username = `wolf${crypto.randomUUID().slice(0, 8)}`;
    const email = `${username}@example.com`;
    const registered = await call(server.url, "POST", "/wolfpal/auth/register", {
      body: new URLSearchParams({ username, email, password: PASSWORD }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(registered.status).toBe(201);
    const token = linkIn(await smtp.waitFor(email)).split("/").pop()!;
    expect((await call(server.url, "PUT", `/wolfpal/user/activate-account/${token}`)).status).toBe(200);
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await wolfpalLogin(username, `wrong-password-${attempt}`, "203.0.113.9")).status).toBe(400);
    }
    expect((await wolfpalLogin(email, PASSWORD, "203.0.113.9")).status).toBe(429);
    expect((await wolfpalLogin(username, PASSWORD, "198.51.100.22")).status).toBe(200);
  });
});

describe("lncrawl's mailed OTP", () => {
  test("wrong 6-digit codes count: the 6th try is refused, even with the right code", async () => {
    const email = await newAccount("otp");
    const token = (await lncrawlLogin(email, PASSWORD, "198.51.100.30")).body.token;
    const sent = await call(server.url, "POST", "/api/auth/me/send-otp", { headers: { authorization: `Bearer ${token}` } });
    expect(sent.status).toBe(200);
    const code = /\b(\d{6})\b/.exec((await smtp.waitFor(email)).text)![1]!;
    const wrongCode = code === "000000" ? "111111" : "000000";
    const verify = (otp: string) => {
      const body = new FormData();
      body.append("otp", otp);
      body.append("token", sent.body.token);
      return call(server.url, "POST", "/api/auth/verify-otp", { body, headers: from("198.51.100.30") });
    };
    for (let attempt = 1; attempt <= 5; attempt++) expect((await verify(wrongCode)).status).toBe(403);
    const sixth = await verify(code);
    expect(sixth.status).toBe(429);
    expect(sixth.body).toEqual({ error: "Too many requests", detail: null });
  });
});
