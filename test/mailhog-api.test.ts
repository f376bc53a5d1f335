// MAILHOG_API_PORT: a MailHog-compatible read API over the mails latchkey sent, on 127.0.0.1 only, so suites written
// against MailHog (HBP's own read Content.Headers and Content.Body) find the activation mail there unchanged.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "./support/eventually.ts";
import { call } from "./support/http.ts";
import { closedPort } from "./support/ports.ts";
import { runLatchkey, startServer, type TestServer } from "./support/server.ts";
import { linkIn, parseMail, startSmtp, type TestSmtp } from "./support/smtp.ts";

const VERIFY = { VERIFY_EMAILS: "true", AUTO_ACTIVATE_NEW_USERS: "false", REDIRECT_URL_SUCCESS: "http://app.example/welcome" };

/** The mails to `address` the MailHog API finds, once there are `count` of them. */
async function searchTo(api: string, address: string, count = 1): Promise<any> {
  return eventually(
    async () => {
      const found = await call(api, "GET", `/api/v2/search?kind=to&query=${encodeURIComponent(address)}`);
      expect(found.status).toBe(200);
      return found.body.count >= count ? found.body : undefined;
    },
    { what: `${count} mail(s) to ${address} in the MailHog API` },
  );
}

/** Signs `email` up, finds its activation mail through the API, follows its link: the account can then sign in. */
async function activateThroughMailHog(server: TestServer, api: string, email: string): Promise<any> {
  const registered = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
  expect(registered.status).toBe(200);
  const before = await call(server.url, "POST", "/auth/login", { json: { email, password: "password-123" } });
  expect(before.status).toBe(400);

  const found = await searchTo(api, email);
  expect(found).toMatchObject({ total: 1, count: 1, start: 0 });
  const message = found.items[0];
  const [mailbox, domain] = email.split("@");
  expect(message.To).toEqual([{ Relays: null, Mailbox: mailbox, Domain: domain, Params: "" }]);
  expect(message.Content.Headers.Subject).toEqual(["Activate your account"]);
  expect(message.Content.Headers.To).toEqual([email]);
  expect(message.Content.Headers.From[0]).toContain(`${message.From.Mailbox}@${message.From.Domain}`);
  expect(message.Raw.To).toEqual([email]);
  expect(typeof message.Content.Body).toBe("string");
  expect(Date.parse(message.Created)).not.toBeNaN();
  // HBP's suites read the ticket from its header; the link in the (decoded) text part carries the same one.
  const ticket = message.Content.Headers["X-Ticket"][0];
  const mail = parseMail(message.Raw.Data, [email]);
  const link = linkIn(mail);
  expect(link).toContain(ticket);
  // As MailHog shows it: the body as sent (MIME parts, quoted-printable), after the headers of the raw mail.
  expect(message.Content.Body).toContain("Content-Transfer-Encoding");
  expect(message.Raw.Data.endsWith(`\r\n\r\n${message.Content.Body}`)).toBe(true);
  expect(message.MIME.Parts.some((part: any) => part.Headers["Content-Type"][0].startsWith("text/plain"))).toBe(true);

  const followed = await call(server.url, "GET", link.replace(/^https?:\/\/[^/]+/, ""));
  expect(followed.status).toBe(302);
  expect(followed.headers.get("location")).toStartWith("http://app.example/welcome");
  const after = await call(server.url, "POST", "/auth/login", { json: { email, password: "password-123" } });
  expect(after.status).toBe(200);
  return message;
}

describe("MailHog API, mails to the outbox (no SMTP_HOST)", () => {
  let server: TestServer;
  let port: number;
  let api: string;
  beforeAll(async () => {
    port = await closedPort();
    api = `http://127.0.0.1:${port}`;
    server = await startServer({ ...VERIFY, MAILHOG_API_PORT: String(port) });
  });
  afterAll(() => server.stop());

  test("the activation mail is found by recipient, and its link activates the account", async () => {
    const message = await activateThroughMailHog(server, api, "hog.one@example.com");
    // The same mail also went where it would have gone without the API: the outbox.
    expect(server.output()).toContain("outbox");
    const none = await call(api, "GET", "/api/v2/search?kind=to&query=nobody%40example.com");
    expect(none.body).toEqual({ total: 0, count: 0, start: 0, items: [] });
    const byId = await call(api, "GET", `/api/v1/messages/${encodeURIComponent(message.ID)}`);
    expect(byId.status).toBe(200);
    expect(byId.body.ID).toBe(message.ID);
    // MailHog's clients spell the kind either way (mailhog-python sends "To").
    const spelled = await call(api, "GET", "/api/v2/search?kind=To&query=hog.one%40example.com");
    expect(spelled.body.items.map((item: any) => item.ID)).toEqual([message.ID]);
    const removed = await call(api, "DELETE", `/api/v1/messages/${encodeURIComponent(message.ID)}`);
    expect(removed.status).toBe(200);
    expect((await call(api, "GET", `/api/v1/messages/${encodeURIComponent(message.ID)}`)).status).toBe(404);
  });

  test("/api/v2/messages lists every mail, newest first; DELETE /api/v1/messages empties it", async () => {
    for (const email of ["hog.two@example.com", "hog.three@example.com"]) {
      await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
      await searchTo(api, email);
    }
    const listed = await call(api, "GET", "/api/v2/messages");
    expect(listed.status).toBe(200);
    expect(listed.body.total).toBeGreaterThanOrEqual(2);
    expect(listed.body.count).toBe(listed.body.items.length);
    expect(listed.body.items.slice(0, 2).map((item: any) => item.Raw.To[0])).toEqual(["hog.three@example.com", "hog.two@example.com"]);
    const paged = await call(api, "GET", "/api/v2/messages?start=1&limit=1");
    expect(paged.body).toMatchObject({ total: listed.body.total, count: 1, start: 1 });
    expect(paged.body.items[0].ID).toBe(listed.body.items[1].ID);
    const containing = await call(api, "GET", "/api/v2/search?kind=containing&query=hog.two");
    expect(containing.body.items.map((item: any) => item.Raw.To[0])).toEqual(["hog.two@example.com"]);

    const deleted = await call(api, "DELETE", "/api/v1/messages");
    expect(deleted.status).toBe(200);
    const after = await call(api, "GET", "/api/v2/messages");
    expect(after.body).toEqual({ total: 0, count: 0, start: 0, items: [] });
  });

  test("a search of an unknown kind is a 400, not a 500", async () => {
    const answer = await call(api, "GET", "/api/v2/search?kind=subject&query=x");
    expect(answer.status).toBe(400);
  });

  test("the API is not on the public port, and listens on 127.0.0.1 only", async () => {
    const onPublic = await call(server.url, "GET", "/api/v2/messages");
    expect(onPublic.status).toBe(404);
    expect(JSON.stringify(onPublic.body)).not.toContain("items");
    // 127.0.0.2 is loopback too: a socket bound to 0.0.0.0 would answer there, one on 127.0.0.1 does not.
    const elsewhere = await fetch(`http://127.0.0.2:${port}/api/v2/messages`).then(
      (response) => response.status,
      () => "refused",
    );
    expect(elsewhere).toBe("refused");
    // The kernel's own list of listening sockets: the port's one socket is bound to 127.0.0.1 (0100007F).
    const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
    const listening = readFileSync("/proc/net/tcp", "utf8")
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[1]?.endsWith(`:${hexPort}`) && fields[3] === "0A");
    expect(listening.map((fields) => fields[1])).toEqual([`0100007F:${hexPort}`]);
    const ipv6 = readFileSync("/proc/net/tcp6", "utf8");
    expect(ipv6.split("\n").some((line) => line.includes(`:${hexPort} `) && line.trim().split(/\s+/)[3] === "0A")).toBe(false);
  });
});

describe("MailHog API, mails to an SMTP server", () => {
  let smtp: TestSmtp;
  let server: TestServer;
  let api: string;
  beforeAll(async () => {
    smtp = await startSmtp();
    const port = await closedPort();
    api = `http://127.0.0.1:${port}`;
    server = await startServer({ ...VERIFY, ...smtp.env, MAILHOG_API_PORT: String(port) });
  });
  afterAll(async () => {
    await server.stop();
    await smtp.close();
  });

  test("the mail reaches the SMTP server and the API alike", async () => {
    const message = await activateThroughMailHog(server, api, "hog.smtp@example.com");
    const delivered = await smtp.waitFor("hog.smtp@example.com");
    expect(delivered.headers.get("x-ticket")).toBe(message.Content.Headers["X-Ticket"][0]);
    expect(message.From).toMatchObject({ Mailbox: "latchkey", Domain: "example.com" });
  });
});

describe("MAILHOG_API_PORT settings", () => {
  test("equal to PORT, or not a port, is refused at start-up, naming the setting", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-mailhog-"));
    const same = await runLatchkey(["serve"], { DATA_DIR: dir, PORT: "4123", MAILHOG_API_PORT: "4123" }, dir);
    expect(same.exitCode).toBe(2);
    expect(same.stderr).toContain("MAILHOG_API_PORT: must differ from PORT");
    const bad = await runLatchkey(["serve"], { DATA_DIR: dir, PORT: "0", MAILHOG_API_PORT: "mailhog" }, dir);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("MAILHOG_API_PORT: expected a whole number from 1 to 65535");
  });

  test("a port already taken stops start-up with a clear message, not a stack trace", async () => {
    const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("someone else") });
    const dir = mkdtempSync(join(tmpdir(), "latchkey-mailhog-"));
    try {
      const result = await runLatchkey(["serve"], { DATA_DIR: dir, HOST: "127.0.0.1", PORT: "0", MAILHOG_API_PORT: String(taken.port) }, dir);
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toContain(`MAILHOG_API_PORT: 127.0.0.1:${taken.port} is already in use`);
      expect(result.stderr).not.toContain("    at ");
    } finally {
      taken.stop(true);
    }
  });

  test("without it, nothing listens for MailHog clients", async () => {
    const port = await closedPort();
    const server = await startServer({ ...VERIFY });
    try {
      await call(server.url, "POST", "/auth/register", { json: { email: "hog.off@example.com", password: "password-123" } });
      const tried = await fetch(`http://127.0.0.1:${port}/api/v2/messages`).then(
        () => "answered",
        () => "refused",
      );
      expect(tried).toBe("refused");
      expect(server.output()).not.toContain("MailHog API");
    } finally {
      await server.stop();
    }
  });
});
