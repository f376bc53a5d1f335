// `latchkey user ...`: the operator bans, lifts the ban on and deletes accounts on the data directory of a
// running server, and the server honours it at once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { runLatchkey, startServer, TEST_JWT_KEY, type TestServer } from "./support/server.ts";

let server: TestServer;
let refreshToken: string;
beforeAll(async () => {
  server = await startServer();
  const res = await call(server.url, "POST", "/auth/register", { json: { email: "Ops@Example.com", password: "ops-password", cookie: false } });
  refreshToken = res.body.refresh_token;
});
afterAll(() => server.stop());

const user = (...args: string[]) => runLatchkey(["user", ...args], { DATA_DIR: server.dataDir, JWT_KEY: TEST_JWT_KEY }, server.dataDir);
const login = () => call(server.url, "POST", "/auth/login", { json: { email: "ops@example.com", password: "ops-password", cookie: false } });

test("disable bans the account and ends its sessions; enable lifts the ban; list shows the state", async () => {
  const disabled = await user("disable", "OPS@example.com");
  expect(disabled.exitCode).toBe(0);
  expect(disabled.stdout).toContain("disabled ops@example.com");
  expect((await login()).status).toBe(401);
  expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${refreshToken}`)).status).toBe(401);
  expect((await user("list")).stdout).toMatch(/ops@example\.com\s+disabled/);

  expect((await user("enable", "ops@example.com")).exitCode).toBe(0);
  expect((await login()).status).toBe(200);
  expect((await user("list")).stdout).toMatch(/ops@example\.com\s+active/);
});

test("delete removes the account; unknown accounts and bad usage are errors", async () => {
  expect((await user("delete", "ops@example.com")).exitCode).toBe(0);
  expect((await login()).status).toBe(401);
  const unknown = await user("disable", "nobody@example.com");
  expect(unknown.exitCode).toBe(1);
  expect(unknown.stderr).toContain('no account "nobody@example.com"');
  expect((await user("explode")).exitCode).toBe(2);
});
