// Security events (core/security-events.ts): one line each for failed sign-ins, lockouts, disabled accounts and
// admin-secret uses, with the client IP and the account and never the secret (and the id of the request, last); and the README's fail2ban filter,
// applied to this server's real output the way fail2ban applies it, bans the attackers' addresses and nobody else.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { queryDatabase } from "./support/backend.ts";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

const ADMIN_SECRET = "admin-secret-0123456789-abcdef";
const PASSWORD = "right-password-4711";
/** Wrong passwords and secrets tried below: none may appear in the log. */
const WRONG_PASSWORD = "wrong-password-0815";
const WRONG_SECRET = "not-the-admin-secret-42";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({
    TRUSTED_PROXIES: "127.0.0.1/8,::1",
    USER_IMPERSONATION_ENABLED: "true",
    ADMIN_SECRET,
    LNCRAWL_ENABLED: "true",
  });
});
afterAll(() => server.stop());

const from = (ip: string) => ({ "x-forwarded-for": `${ip}, 127.0.0.1` });
const login = (email: string, password: string, headers: Record<string, string>) =>
  call(server.url, "POST", "/auth/login", { json: { email, password, cookie: false }, headers });

async function newAccount(tag: string): Promise<string> {
  const email = `${tag}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  expect((await call(server.url, "POST", "/auth/register", { json: { email, password: PASSWORD, cookie: false } })).status).toBe(200);
  return email;
}

/** The first log line that matches `pattern` (log lines arrive through a pipe, after the answer). */
async function lineMatching(pattern: RegExp): Promise<string> {
  // The whole line around the match: `$` in the patterns is the end of that line.
  const [line] = await server.waitFor(new RegExp(`^.*(?:${pattern.source}).*$`, "m"), 10_000);
  return line;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("one line per event, with the client IP and the account", () => {
  test("a wrong password: sign_in_failed; the fifth from one address then locked_out", async () => {
    const email = await newAccount("events");
    expect((await login(email, WRONG_PASSWORD, from("203.0.113.7"))).status).toBe(401);
    const failed = await lineMatching(new RegExp(`security event=sign_in_failed ip=203\\.0\\.113\\.7 account=email:${escape(email)} `));
    expect(failed).toMatch(/ WARN security event=sign_in_failed ip=\S+ account=\S+ reason=invalid_credentials request_id=\S+$/);
    for (let attempt = 2; attempt <= 5; attempt++) await login(email, WRONG_PASSWORD, from("203.0.113.7"));
    expect((await login(email, PASSWORD, from("203.0.113.7"))).status).toBe(429);
    await lineMatching(new RegExp(`WARN security event=locked_out ip=203\\.0\\.113\\.7 account=email:${escape(email)} request_id=\\S+$`));
  });

  test("the right password of a disabled account: disabled_account", async () => {
    const email = await newAccount("disabled");
    await queryDatabase(server.dataDir, "UPDATE users SET disabled = ? WHERE email = ?", [true, email]);
    expect((await login(email, PASSWORD, from("203.0.113.9"))).status).toBe(401);
    await lineMatching(new RegExp(`WARN security event=disabled_account ip=203\\.0\\.113\\.9 account=email:${escape(email)} request_id=\\S+$`));
  });

  test("impersonation with x-admin-secret: admin_secret_failed, then admin_secret_used", async () => {
    const email = await newAccount("impersonated");
    const impersonate = (secret: string, ip: string) =>
      call(server.url, "POST", "/auth/login", { json: { email, password: "", cookie: false }, headers: { ...from(ip), "x-admin-secret": secret } });
    expect((await impersonate(WRONG_SECRET, "203.0.113.10")).status).toBe(401);
    await lineMatching(/WARN security event=admin_secret_failed ip=203\.0\.113\.10 account=- reason=invalid_admin_secret request_id=\S+$/);
    expect((await impersonate(ADMIN_SECRET, "198.51.100.10")).status).toBe(200);
    await lineMatching(new RegExp(`INFO security event=admin_secret_used ip=198\\.51\\.100\\.10 account=email:${escape(email)} request_id=\\S+$`));
  });

  test("storage's x-admin-secret: admin_secret_failed, then admin_secret_used", async () => {
    const path = `/storage/o/user/${crypto.randomUUID()}/secret.txt`;
    const read = (secret: string, ip: string) => call(server.url, "GET", path, { headers: { ...from(ip), "x-admin-secret": secret } });
    expect((await read(WRONG_SECRET, "203.0.113.11")).status).toBe(403);
    await lineMatching(/WARN security event=admin_secret_failed ip=203\.0\.113\.11 account=- request_id=\S+$/);
    expect((await read(ADMIN_SECRET, "198.51.100.11")).status).toBe(404);
    await lineMatching(/INFO security event=admin_secret_used ip=198\.51\.100\.11 account=- request_id=\S+$/);
  });

  test("a name with spaces or control characters is quoted and escaped: it cannot forge fields or lines", async () => {
    const crafted = "x ip=192.0.2.66\nWARN security event=locked_out ip=192.0.2.67";
    const res = await call(server.url, "POST", "/api/auth/login", { json: { email: crafted, password: WRONG_PASSWORD }, headers: from("203.0.113.12") });
    expect(res.status).toBe(401);
    const line = await lineMatching(/security event=sign_in_failed ip=203\.0\.113\.12 /);
    expect(line).toContain(String.raw`account="email:x ip=192.0.2.66\nwarn security event=locked_out ip=192.0.2.67"`);
    expect(server.output()).not.toMatch(/^WARN security event=locked_out ip=192\.0\.2\.67/m);
  });

  test("no password, code or secret is ever written", () => {
    const output = server.output();
    for (const secret of [PASSWORD, WRONG_PASSWORD, ADMIN_SECRET, WRONG_SECRET]) expect(output).not.toContain(secret);
  });
});

describe("the README's fail2ban filter", () => {
  /** `datepattern` and `failregex` from the filter in README.md, as JavaScript regular expressions. */
  function readmeFilter(): { date: RegExp; failure: RegExp } {
    const readme = readFileSync(join(import.meta.dir, "..", "README.md"), "utf8");
    const setting = (name: string) => new RegExp(`^${name} = (.+)$`, "m").exec(readme)![1]!;
    // fail2ban's own expansions (fail2ban/server/strptime.py, failregex.py), narrowed to what latchkey writes.
    const date = setting("datepattern")
      .replace(/%%Y/g, "\\d{4}")
      .replace(/%%[mdHMS]/g, "\\d{2}")
      .replace(/%%f/g, "\\d+")
      .replace(/%%z/g, "(?:Z|[+-]\\d{2}:?\\d{2})");
    const failure = setting("failregex").replace("<HOST>", "(?<host>[0-9A-Fa-f.:]+)");
    return { date: new RegExp(date), failure: new RegExp(failure) };
  }

  /** The addresses fail2ban would count, one per matching line: it cuts the time out of a line, then matches. */
  function bannedAddresses(output: string): string[] {
    const { date, failure } = readmeFilter();
    return output
      .split("\n")
      .filter((line) => date.test(line))
      .map((line) => failure.exec(line.replace(date, ""))?.groups?.host)
      .filter((host): host is string => host !== undefined);
  }

  test("matches every failure line of the events above, with the attacker's address, and nothing else", () => {
    const hosts = bannedAddresses(server.output());
    // sign_in_failed x5 and locked_out from .7; disabled_account .9; admin_secret_failed .10 and .11; the crafted name .12.
    expect(new Set(hosts)).toEqual(new Set(["203.0.113.7", "203.0.113.9", "203.0.113.10", "203.0.113.11", "203.0.113.12"]));
    expect(hosts.filter((host) => host === "203.0.113.7").length).toBe(6);
    const securityFailures = server.output().split("\n").filter((line) => / WARN security event=/.test(line));
    expect(hosts.length).toBe(securityFailures.length);
  });
});
