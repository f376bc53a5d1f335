// Magic links (MAGIC_LINK_ENABLED): password-less registration and sign-in by a mailed, single-use link.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { untilMailDealtWith } from "./support/mail-queue.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { linkIn, startSmtp, type TestSmtp } from "./support/smtp.ts";

let smtp: TestSmtp;
let server: TestServer;
const SUCCESS = "http://app.example/signed-in";

beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({
    ...smtp.env,
    MAGIC_LINK_ENABLED: "true",
    VERIFY_EMAILS: "true",
    AUTO_ACTIVATE_NEW_USERS: "false",
    REDIRECT_URL_SUCCESS: SUCCESS,
  });
});
afterAll(async () => {
  await server.stop();
  await smtp.close();
});

const path = (link: string) => { const url = new URL(link); return `${url.pathname}${url.search}`; };

/** Follows a mailed link; returns the refresh token of the redirect. */
async function follow(link: string): Promise<string> {
  const res = await call(server.url, "GET", path(link));
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location")!);
  expect(`${location.origin}${location.pathname}`).toBe(SUCCESS);
  return location.searchParams.get("refresh_token")!;
}

test("register without a password, follow the link: signed in", async () => {
  const email = "magic.new@example.com";
  const registered = await call(server.url, "POST", "/auth/register", { json: { email } });
  expect(registered.status).toBe(200);
  expect(registered.body.jwt_token).toBeNull();
  const mail = await smtp.waitFor(email);
  expect(mail.subject).toBe("Confirm your account");
  const link = linkIn(mail);
  expect(link).toContain("/auth/magic-link?action=register&token=");
  const refreshToken = await follow(link);
  const refreshed = await call(server.url, "GET", `/auth/token/refresh?refresh_token=${refreshToken}`);
  expect(refreshed.status).toBe(200);
  expect(refreshed.body.user.email).toBe(email);
  // Single use.
  expect((await call(server.url, "GET", path(link))).status).toBe(401);
});

test("log in without a password: {magicLink:true}, a link, a session; the link works once", async () => {
  const email = "magic.returning@example.com";
  await call(server.url, "POST", "/auth/register", { json: { email } });
  await follow(linkIn(await smtp.waitFor(email)));

  const res = await call(server.url, "POST", "/auth/login", { json: { email } });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ magicLink: true });
  const mail = await smtp.waitFor(email);
  expect(mail.subject).toBe("Your sign-in link");
  const link = linkIn(mail);
  expect(link).toContain("action=log-in");
  const refreshToken = await follow(link);
  expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${refreshToken}`)).status).toBe(200);
  const again = await call(server.url, "GET", path(link));
  expect(again.status).toBe(401);
  expect(again.body.message).toBe("Invalid or expired ticket.");
});

test("an unknown address gets the same answer and no mail", async () => {
  const res = await call(server.url, "POST", "/auth/login", { json: { email: "magic.nobody@example.com" } });
  expect(res.body).toEqual({ magicLink: true });
  const known = "magic.known@example.com";
  await call(server.url, "POST", "/auth/register", { json: { email: known } });
  await smtp.waitFor(known);
  await untilMailDealtWith(server.dataDir, "magic.nobody@example.com");
  expect(smtp.mails.some((mail) => mail.to.includes("magic.nobody@example.com"))).toBe(false);
});

test.each([
  ["an unknown token", `/auth/magic-link?action=log-in&token=${crypto.randomUUID()}`, 401],
  ["a bad action", `/auth/magic-link?action=delete&token=${crypto.randomUUID()}`, 400],
  ["no token", "/auth/magic-link?action=log-in", 400],
])("%s is refused", async (_, url, status) => {
  const res = await call(server.url, "GET", url);
  expect(res.status).toBe(status);
  expect(res.body.statusCode).toBe(status);
});

describe("MAGIC_LINK_ENABLED=false", () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startServer({});
  });
  afterAll(() => off.stop());

  test("a password is required and the link route is a 404", async () => {
    const register = await call(off.url, "POST", "/auth/register", { json: { email: "m@example.com" } });
    expect(register.body).toEqual({ statusCode: 400, error: "Bad Request", message: '"password" is required' });
    const login = await call(off.url, "POST", "/auth/login", { json: { email: "m@example.com" } });
    expect(login.status).toBe(400);
    const follow = await call(off.url, "GET", `/auth/magic-link?action=log-in&token=${crypto.randomUUID()}`);
    expect(follow.status).toBe(404);
    expect(follow.body.message).toBe("Magic link is disabled; set MAGIC_LINK_ENABLED=true");
  });
});
