// Activation by mail (VERIFY_EMAILS with AUTO_ACTIVATE_NEW_USERS=false), delivered to a real SMTP server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { call, cookieHeader } from "./support/http.ts";
import { waitForOutboxMail } from "./support/outbox.ts";
import { startServer, waitForOutput, type TestServer } from "./support/server.ts";
import { linkIn, startSmtp, type TestSmtp } from "./support/smtp.ts";

const VERIFY = {
  VERIFY_EMAILS: "true",
  AUTO_ACTIVATE_NEW_USERS: "false",
  REDIRECT_URL_SUCCESS: "http://app.example/welcome",
};

let smtp: TestSmtp;
let server: TestServer;

beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({ ...VERIFY, ...smtp.env, REDIRECT_URL_ERROR: "http://app.example/oops", PUBLIC_URL: "http://auth.example:8080" });
});
afterAll(async () => {
  await server.stop();
  await smtp.close();
});

/** Rewrites a mailed link (on PUBLIC_URL) to the test server's address. */
const local = (link: string) => link.replace("http://auth.example:8080", "");

describe("activation by mail", () => {
  test("register mails a link; following it activates the account and redirects with a refresh token", async () => {
    const email = "new.user@example.com";
    const registered = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    expect(registered.status).toBe(200);
    expect(registered.body).toEqual({ jwt_token: null, jwt_expires_in: null, user: expect.objectContaining({ email }) });

    const mail = await smtp.waitFor(email);
    expect(mail.subject).toBe("Activate your account");
    expect(mail.raw).toContain("Content-Type: text/html");
    const link = linkIn(mail);
    expect(link).toStartWith("http://auth.example:8080/auth/activate?ticket=");
    expect(link).toContain(mail.headers.get("x-ticket")!);

    const before = await call(server.url, "POST", "/auth/login", { json: { email, password: "password-123" } });
    expect(before.status).toBe(400);
    expect(before.body.message).toBe("Account is not activated.");

    const followed = await call(server.url, "GET", local(link));
    expect(followed.status).toBe(302);
    const location = new URL(followed.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe("http://app.example/welcome");
    const refreshToken = location.searchParams.get("refresh_token")!;
    expect(refreshToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(cookieHeader(followed.cookies)).toContain("refresh_token=s%3A");

    const refreshed = await call(server.url, "GET", `/auth/token/refresh?refresh_token=${refreshToken}`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.user.email).toBe(email);
    const after = await call(server.url, "POST", "/auth/login", { json: { email, password: "password-123" } });
    expect(after.status).toBe(200);

    // The ticket works once: the second visit lands on REDIRECT_URL_ERROR.
    const again = await call(server.url, "GET", local(link));
    expect(again.status).toBe(302);
    expect(again.headers.get("location")).toBe("http://app.example/oops");
  });

  test("cookie=false on the link sets no session cookies", async () => {
    const email = "no.cookie@example.com";
    await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    const link = linkIn(await smtp.waitFor(email));
    const followed = await call(server.url, "GET", `${local(link)}&cookie=false`);
    expect(followed.status).toBe(302);
    expect(cookieHeader(followed.cookies)).toBe("");
  });

  test("a registration waiting for activation says so", async () => {
    const email = "twice@example.com";
    await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    await smtp.waitFor(email);
    const again = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    expect(again.status).toBe(400);
    expect(again.body.message).toBe("Account already exists but is not activated.");
  });

  test.each([
    ["an unknown ticket", `ticket=${crypto.randomUUID()}`],
    ["a malformed ticket", "ticket=not-a-uuid"],
  ])("%s redirects to REDIRECT_URL_ERROR", async (_, query) => {
    const res = await call(server.url, "GET", `/auth/activate?${query}`);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://app.example/oops");
  });

  test("without a ticket: 400", async () => {
    const res = await call(server.url, "GET", "/auth/activate");
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: "Bad Request", message: '"ticket" is required' });
  });
});

describe("activation without REDIRECT_URL_ERROR, without SMTP, with templates", () => {
  let outboxServer: TestServer;
  const templates = mkdtempSync(join(tmpdir(), "latchkey-templates-"));

  beforeAll(async () => {
    mkdirSync(join(templates, "activate-account"));
    writeFileSync(join(templates, "activate-account", "subject.txt"), "Welcome to Example, {{email}}");
    writeFileSync(join(templates, "activate-account", "text.txt"), "Click: {{link}}\n");
    outboxServer = await startServer({ ...VERIFY, EMAIL_TEMPLATES_DIR: templates });
  });
  afterAll(() => outboxServer.stop());

  test("mail goes to <data dir>/outbox as .eml, from the overriding template; the log names the file, not the link", async () => {
    const email = "outbox@example.com";
    const res = await call(outboxServer.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    expect(res.status).toBe(200);
    const eml = await waitForOutboxMail(outboxServer.dataDir, email);
    expect(readdirSync(join(outboxServer.dataDir, "outbox"))).toEqual([basename(eml.file)]);
    expect(eml.file).toEndWith(".eml");
    expect(eml.subject).toBe("Welcome to Example, outbox@example.com");
    const port = new URL(outboxServer.url).port;
    expect(eml.text).toStartWith(`Click: http://localhost:${port}/auth/activate?ticket=`);
    // The built-in HTML part stays where no html.html overrides it.
    expect(eml.raw).toContain("<a href=3D");
    const ticket = /ticket=([0-9a-f-]{36})/.exec(eml.text)![1]!;
    await waitForOutput(outboxServer, `INFO mail sent template=activate-account to=${email} via=${eml.file}`, 10_000);
    expect(outboxServer.output()).not.toContain(ticket);

    const followed = await call(outboxServer.url, "GET", `/auth/activate?ticket=${ticket}`);
    expect(followed.status).toBe(302);
    const wrong = await call(outboxServer.url, "GET", `/auth/activate?ticket=${ticket}`);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ statusCode: 401, error: "Unauthorized", message: "Invalid or expired ticket." });
  });
});

describe("a mail server that cannot be reached", () => {
  let broken: TestServer;
  beforeAll(async () => {
    // Nothing listens on port 9 (discard) here: delivery fails, and is retried in the background.
    broken = await startServer({ ...VERIFY, SMTP_HOST: "127.0.0.1", SMTP_PORT: "9", SMTP_SECURE: "false" });
  });
  afterAll(() => broken.stop());

  test("the registration stands, waiting for its activation mail, which the queue keeps trying", async () => {
    const email = "unlucky@example.com";
    const res = await call(broken.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ jwt_token: null, jwt_expires_in: null, user: expect.objectContaining({ email }) });
    const again = await call(broken.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    expect(again.status).toBe(400);
    expect(again.body.message).toBe("Account already exists but is not activated.");
  });
});
