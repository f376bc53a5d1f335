// Password change and reset by mail, email change directly and by mail, ticket expiry, seed 001's account paths.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { queryDatabase } from "./support/backend.ts";
import { eventually } from "./support/eventually.ts";
import { call, cookieHeader } from "./support/http.ts";
import { untilMailDealtWith } from "./support/mail-queue.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { linkIn, startSmtp, type TestSmtp } from "./support/smtp.ts";

let smtp: TestSmtp;
let server: TestServer; // LOST_PASSWORD_ENABLED, VERIFY_EMAILS (email change by mail), NOTIFY_EMAIL_CHANGE
let direct: TestServer; // VERIFY_EMAILS=false: direct email change

beforeAll(async () => {
  smtp = await startSmtp();
  [server, direct] = await Promise.all([
    startServer({ ...smtp.env, LOST_PASSWORD_ENABLED: "true", VERIFY_EMAILS: "true", NOTIFY_EMAIL_CHANGE: "true", ALLOW_USER_SELF_DELETE: "true" }),
    startServer({ ...smtp.env }),
  ]);
});
afterAll(async () => {
  await Promise.all([server.stop(), direct.stop()]);
  await smtp.close();
});

async function newUser(url: string, password = "password-123") {
  const email = `rec-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call(url, "POST", "/auth/register", { json: { email, password, cookie: false } });
  expect(res.status).toBe(200);
  return { email, jwt: res.body.jwt_token as string, refreshToken: res.body.refresh_token as string };
}

const login = (url: string, email: string, password: string) =>
  call(url, "POST", "/auth/login", { json: { email, password, cookie: false } });
const refresh = (url: string, token: string) => call(url, "GET", `/auth/token/refresh?refresh_token=${token}`);
const ticketOf = (link: string) => new URL(link).searchParams.get("ticket")!;
const path = (link: string) => { const url = new URL(link); return `${url.pathname}${url.search}`; };

describe("POST /auth/change-password", () => {
  test("needs the current password; ends the other sessions but keeps the cookie session making the change", async () => {
    const email = `chg-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const cookieSession = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    const other = await login(server.url, email, "password-123");
    const cookie = cookieHeader(cookieSession.cookies);

    const wrong = await call(server.url, "POST", "/auth/change-password", { headers: { cookie }, json: { old_password: "nope-nope", new_password: "new-password-1" } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe("Incorrect current password.");

    const res = await call(server.url, "POST", "/auth/change-password", { headers: { cookie }, json: { old_password: "password-123", new_password: "new-password-1" } });
    expect(res.status).toBe(204);
    expect((await login(server.url, email, "password-123")).status).toBe(401);
    expect((await login(server.url, email, "new-password-1")).status).toBe(200);
    expect((await refresh(server.url, other.body.refresh_token)).status).toBe(401);
    expect((await call(server.url, "GET", "/auth/token/refresh", { headers: { cookie } })).status).toBe(200);
  });

  test("with a Bearer JWT: the session the JWT belongs to (its `sid`) stays, the others end", async () => {
    const { email, jwt, refreshToken } = await newUser(server.url);
    const other = await login(server.url, email, "password-123");
    const res = await call(server.url, "POST", "/auth/change-password", {
      headers: { authorization: `Bearer ${jwt}` },
      json: { old_password: "password-123", new_password: "new-password-2" },
    });
    expect(res.status).toBe(204);
    expect((await refresh(server.url, refreshToken)).status).toBe(200);
    expect((await refresh(server.url, other.body.refresh_token)).status).toBe(401);
  });

  test("refuses a new password that breaks the policy, and anonymous callers", async () => {
    const { jwt } = await newUser(server.url);
    const tooLong = await call(server.url, "POST", "/auth/change-password", { headers: { authorization: `Bearer ${jwt}` }, json: { old_password: "password-123", new_password: "x".repeat(200) } });
    expect(tooLong.status).toBe(400);
    const anonymous = await call(server.url, "POST", "/auth/change-password", { json: { old_password: "password-123", new_password: "new-password-1" } });
    expect(anonymous.status).toBe(401);
  });
});

describe("password reset by mail", () => {
  test("request mails a link; its ticket sets a new password once and ends every session", async () => {
    const { email, refreshToken } = await newUser(server.url);
    // An unknown address gets the same answer and no mail.
    const unknown = await call(server.url, "POST", "/auth/change-password/request", { json: { email: "nobody-here@example.com" } });
    expect(unknown.status).toBe(204);
    const requested = await call(server.url, "POST", "/auth/change-password/request", { json: { email: email.toUpperCase() } });
    expect(requested.status).toBe(204);

    const mail = await smtp.waitFor(email);
    expect(mail.subject).toBe("Reset your password");
    await untilMailDealtWith(server.dataDir, "nobody-here@example.com");
    expect(smtp.mails.some((item) => item.to.includes("nobody-here@example.com"))).toBe(false);
    const link = linkIn(mail);
    expect(link).toContain("/auth/change-password/change?ticket=");

    // The link opens latchkey's own form.
    const page = await call(server.url, "GET", path(link));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.body).toContain("new_password");

    const changed = await call(server.url, "POST", "/auth/change-password/change", { json: { ticket: ticketOf(link), new_password: "reset-password-1" } });
    expect(changed.status).toBe(204);
    expect((await login(server.url, email, "reset-password-1")).status).toBe(200);
    expect((await login(server.url, email, "password-123")).status).toBe(401);
    expect((await refresh(server.url, refreshToken)).status).toBe(401);

    const again = await call(server.url, "POST", "/auth/change-password/change", { json: { ticket: ticketOf(link), new_password: "another-password" } });
    expect(again.status).toBe(401);
    expect(again.body.message).toBe("Invalid or expired ticket.");
  });

  test("a too-short new password does not use the ticket up", async () => {
    const { email } = await newUser(server.url);
    await call(server.url, "POST", "/auth/change-password/request", { json: { email } });
    const ticket = ticketOf(linkIn(await smtp.waitFor(email)));
    const short = await call(server.url, "POST", "/auth/change-password/change", { json: { ticket, new_password: "ab" } });
    expect(short.status).toBe(400);
    const ok = await call(server.url, "POST", "/auth/change-password/change", { json: { ticket, new_password: "long-enough-1" } });
    expect(ok.status).toBe(204);
  });

  test("seed 001's POST /auth/account/forgot takes the same ticket", async () => {
    const { email } = await newUser(server.url);
    await call(server.url, "POST", "/auth/change-password/request", { json: { email } });
    const ticket = ticketOf(linkIn(await smtp.waitFor(email)));
    const res = await call(server.url, "POST", "/auth/account/forgot", { json: { ticket, new_password: "forgot-password-1" } });
    expect(res.status).toBe(204);
    expect((await login(server.url, email, "forgot-password-1")).status).toBe(200);
  });

  test("is a 404 naming LOST_PASSWORD_ENABLED when off", async () => {
    const res = await call(direct.url, "POST", "/auth/change-password/request", { json: { email: "a@example.com" } });
    expect(res.status).toBe(404);
    expect(res.body.message).toBe("Password reset is disabled; set LOST_PASSWORD_ENABLED=true");
    expect((await call(direct.url, "POST", "/auth/change-password/change", { json: { ticket: crypto.randomUUID(), new_password: "whatever-1" } })).status).toBe(404);
  });
});

describe("email change", () => {
  test("directly (VERIFY_EMAILS=false): the new address signs in, the old one not; a taken address is refused", async () => {
    const { email, jwt } = await newUser(direct.url);
    const taken = await newUser(direct.url);
    const refused = await call(direct.url, "POST", "/auth/change-email", { headers: { authorization: `Bearer ${jwt}` }, json: { new_email: taken.email } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe("Cannot use this email.");
    const newEmail = `moved-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const res = await call(direct.url, "POST", "/auth/change-email", { headers: { authorization: `Bearer ${jwt}` }, json: { new_email: newEmail } });
    expect(res.status).toBe(204);
    expect((await login(direct.url, newEmail, "password-123")).status).toBe(200);
    expect((await login(direct.url, email, "password-123")).status).toBe(401);
    // The request/change pair belongs to VERIFY_EMAILS=true.
    const request = await call(direct.url, "POST", "/auth/change-email/request", { headers: { authorization: `Bearer ${jwt}` }, json: { new_email: "x@example.com" } });
    expect(request.status).toBe(404);
  });

  test("by mail (VERIFY_EMAILS=true): a link to the new address; the old address is told", async () => {
    const { email, jwt } = await newUser(server.url);
    const direct = await call(server.url, "POST", "/auth/change-email", { headers: { authorization: `Bearer ${jwt}` }, json: { new_email: "x@example.com" } });
    expect(direct.status).toBe(404);

    const newEmail = `verified-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const requested = await call(server.url, "POST", "/auth/change-email/request", { headers: { authorization: `Bearer ${jwt}` }, json: { new_email: newEmail } });
    expect(requested.status).toBe(204);
    const mail = await smtp.waitFor(newEmail);
    expect(mail.subject).toBe("Change your email address");
    const link = linkIn(mail);
    expect((await call(server.url, "GET", path(link))).status).toBe(200);
    // Nothing changes before the link is followed.
    expect((await login(server.url, email, "password-123")).status).toBe(200);

    const changed = await call(server.url, "POST", "/auth/change-email/change", { json: { ticket: ticketOf(link) } });
    expect(changed.status).toBe(204);
    expect((await login(server.url, newEmail, "password-123")).status).toBe(200);
    expect((await login(server.url, email, "password-123")).status).toBe(401);
    const notice = await smtp.waitFor(email);
    expect(notice.subject).toBe("Your email address was changed");
    expect(notice.text).toContain(newEmail);

    const again = await call(server.url, "POST", "/auth/change-email/change", { json: { ticket: ticketOf(link) } });
    expect(again.status).toBe(401);
  });
});

describe("ticket expiry", () => {
  let shortLived: TestServer;
  beforeAll(async () => {
    shortLived = await startServer({ ...smtp.env, LOST_PASSWORD_ENABLED: "true", TICKET_EXPIRES_IN_SECONDS: "1" });
  });
  afterAll(() => shortLived.stop());

  test("a ticket past TICKET_EXPIRES_IN_SECONDS is refused", async () => {
    const { email } = await newUser(shortLived.url);
    await call(shortLived.url, "POST", "/auth/change-password/request", { json: { email } });
    const ticket = ticketOf(linkIn(await smtp.waitFor(email)));
    await Bun.sleep(1_500);
    const res = await call(shortLived.url, "POST", "/auth/change-password/change", { json: { ticket, new_password: "too-late-password" } });
    expect(res.status).toBe(401);
    expect(res.body.message).toBe("Invalid or expired ticket.");
    expect((await login(shortLived.url, email, "password-123")).status).toBe(200);
  });

  test("expired tickets are deleted by the housekeeping that runs at start-up", async () => {
    const { email } = await newUser(shortLived.url);
    await call(shortLived.url, "POST", "/auth/change-password/request", { json: { email } });
    await smtp.waitFor(email);
    const count = async () => Number((await queryDatabase<{ n: number }>(shortLived.dataDir, "SELECT count(*) AS n FROM challenges"))[0]!.n);
    expect(await count()).toBeGreaterThan(0);
    await Bun.sleep(1_500);
    const restarted = await startServer({ ...smtp.env, LOST_PASSWORD_ENABLED: "true" }, { dataDir: shortLived.dataDir });
    try {
      // It runs beside start-up, not before the server listens: a stop right after the start could cut it short.
      await eventually(async () => (await count()) === 0, { what: "the expired tickets deleted" });
    } finally {
      await restarted.stop();
    }
    expect(await count()).toBe(0);
  });
});

describe("seed 001's account paths", () => {
  let activating: TestServer;
  beforeAll(async () => {
    activating = await startServer({ ...smtp.env, VERIFY_EMAILS: "true", AUTO_ACTIVATE_NEW_USERS: "false", REDIRECT_URL_SUCCESS: "http://app.example/" });
  });
  afterAll(() => activating.stop());

  test("POST /auth/account/activate takes the mailed ticket and answers 204", async () => {
    const email = `v1-${crypto.randomUUID().slice(0, 8)}@example.com`;
    await call(activating.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    const ticket = ticketOf(linkIn(await smtp.waitFor(email)));
    const res = await call(activating.url, "POST", "/auth/account/activate", { json: { ticket } });
    expect(res.status).toBe(204);
    expect((await login(activating.url, email, "password-123")).status).toBe(200);
    expect((await call(activating.url, "POST", "/auth/account/activate", { json: { ticket } })).status).toBe(401);
  });

  test("POST /auth/account/remove deletes the signed-in account", async () => {
    const { email, jwt } = await newUser(server.url);
    const res = await call(server.url, "POST", "/auth/account/remove", { headers: { authorization: `Bearer ${jwt}` } });
    expect(res.status).toBe(204);
    expect((await login(server.url, email, "password-123")).status).toBe(401);
  });
});

describe("CHANGE_EMAIL_ENABLED=false", () => {
  let off: TestServer;
  beforeAll(async () => {
    off = await startServer({ CHANGE_EMAIL_ENABLED: "false" });
  });
  afterAll(() => off.stop());

  test("every email-change route answers 404 naming the setting", async () => {
    const { jwt } = await newUser(off.url);
    for (const [route, json] of [
      ["/auth/change-email", { new_email: "n@example.com" }],
      ["/auth/change-email/request", { new_email: "n@example.com" }],
      ["/auth/change-email/change", { ticket: crypto.randomUUID() }],
    ] as const) {
      const res = await call(off.url, "POST", route, { headers: { authorization: `Bearer ${jwt}` }, json });
      expect(res.status).toBe(404);
      expect(res.body.message).toBe("Email change is disabled; set CHANGE_EMAIL_ENABLED=true");
    }
  });
});
