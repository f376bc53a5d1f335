// Mails go through a queue in the database and a background worker (issue 23): a route that mails answers without
// waiting on the mail server, a refusing or unreachable one costs retries (never a 500), and a queued row holds no
// usable ticket.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { queryDatabase } from "./support/backend.ts";
import { eventually } from "./support/eventually.ts";
import { call } from "./support/http.ts";
import { startPostgres, type TestPostgres } from "./support/postgres.ts";
import { startServer, waitForOutput, type TestServer } from "./support/server.ts";
import { linkIn, startSmtp, type TestSmtp } from "./support/smtp.ts";
import { closedPort } from "./support/ports.ts";

const RESETS = { LOST_PASSWORD_ENABLED: "true", MAIL_RETRY_DELAY_SECONDS: "1" };

async function newUser(server: TestServer, email: string): Promise<void> {
  const res = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123", cookie: false } });
  expect(res.status).toBe(200);
}

const requestReset = (server: TestServer, email: string) =>
  call(server.url, "POST", "/auth/change-password/request", { json: { email } });

const ticketOf = (link: string) => new URL(link).searchParams.get("ticket")!;

describe("a mail server that refuses at first", () => {
  let smtp: TestSmtp;
  let server: TestServer;
  beforeAll(async () => {
    smtp = await startSmtp();
    server = await startServer({ ...RESETS, ...smtp.env });
  });
  afterAll(async () => {
    await server.stop();
    await smtp.close();
  });

  test("the reset request answers 204, and the mail arrives after the retries with a working link", async () => {
    const email = "refused.at.first@example.com";
    await newUser(server, email);
    const before = smtp.attempts();
    smtp.refuseNext(2);

    const res = await requestReset(server, email);
    expect(res.status).toBe(204);

    const mail = await smtp.waitFor(email);
    expect(smtp.attempts() - before).toBe(3);
    expect(mail.subject).toBe("Reset your password");
    // Each refusal is logged with the server's answer and when the next attempt comes.
    expect(server.output()).toMatch(/WARN mail not sent; will retry template=lost-password to=refused\.at\.first@example\.com attempt=1 retry_in_seconds=1 error=".*451/);
    expect(server.output()).toMatch(/attempt=2 retry_in_seconds=2 /);

    const changed = await call(server.url, "POST", "/auth/change-password/change", {
      json: { ticket: ticketOf(linkIn(mail)), new_password: "after-retries-1" },
    });
    expect(changed.status).toBe(204);
  });
});

describe("a mail server that holds a delivery", () => {
  let smtp: TestSmtp;
  let server: TestServer;
  beforeAll(async () => {
    smtp = await startSmtp();
    server = await startServer({ ...RESETS, ...smtp.env });
  });
  afterAll(async () => {
    await server.stop();
    await smtp.close();
  });

  test("a registered address's reset request answers while the mail server has not answered; the mail follows", async () => {
    const email = "held.delivery@example.com";
    await newUser(server, email);
    const held = smtp.hold();

    // Were the route waiting on the mail, this answer would not come before release() below.
    const res = await requestReset(server, email);
    expect(res.status).toBe(204);
    await held.holding;
    expect(held.waiting()).toBe(1);
    expect(smtp.mails.some((mail) => mail.to.includes(email))).toBe(false);

    held.release();
    const mail = await smtp.waitFor(email);
    expect(linkIn(mail)).toContain("/auth/change-password/change?ticket=");
  });

  test("the queue keeps no usable ticket: a sent mail's row holds neither its ticket nor its link", async () => {
    const email = "nothing.at.rest@example.com";
    await newUser(server, email);
    await requestReset(server, email);
    const mail = await smtp.waitFor(email);
    const ticket = ticketOf(linkIn(mail));

    // The worker marks the row sent once the mail server has answered, which is after the mail arrived here.
    const rows = await eventually(async () => {
      const found = await queryDatabase(server.dataDir, "select * from mail_queue where recipient = ?", [email]);
      return found[0]?.sent_at != null && found;
    }, { what: "the mail's row marked sent" });
    expect(rows.length).toBe(1);
    expect(rows[0]!.template).toBe("lost-password");
    expect(rows[0]!.sent_at).not.toBeNull();
    expect(JSON.stringify(rows)).not.toContain(ticket);
  });
});

describe("a mail server that cannot be reached", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      ...RESETS,
      MAIL_MAX_ATTEMPTS: "2",
      VERIFY_EMAILS: "true",
      AUTO_ACTIVATE_NEW_USERS: "false",
      REDIRECT_URL_SUCCESS: "http://app.example/welcome",
      MAGIC_LINK_ENABLED: "true",
      LNCRAWL_ENABLED: "true",
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(await closedPort()),
      SMTP_SECURE: "false",
    });
  });
  afterAll(() => server.stop());

  test("no route that mails answers 500; each mail is tried MAIL_MAX_ATTEMPTS times, then given up with the error", async () => {
    const email = "unreachable@example.com";
    const registered = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    expect(registered.status).toBe(200);
    expect(registered.body.jwt_token).toBeNull();
    expect((await requestReset(server, email)).status).toBe(204);
    expect((await call(server.url, "POST", "/auth/login", { json: { email } })).status).toBe(200);
    expect((await call(server.url, "POST", "/api/auth/send-password-reset-link", { json: { email } })).status).toBe(200);

    const output = await waitForOutput(server, /ERROR mail not sent; given up template=activate-account to=unreachable@example\.com attempt=2 /, 15_000);
    expect(output).toMatch(/WARN mail not sent; will retry template=activate-account to=unreachable@example\.com attempt=1 retry_in_seconds=1 error=.*ECONNREFUSED/);
    expect(output).not.toMatch(/attempt=3/);
    const [row] = await queryDatabase<{ attempts: number; next_attempt_at: number | null; last_error: string | null }>(
      server.dataDir,
      "select attempts, next_attempt_at, last_error from mail_queue where template = 'activate-account'",
    );
    expect(row).toMatchObject({ attempts: 2, next_attempt_at: null });
    expect(row!.last_error).toContain("ECONNREFUSED");
    // The account waits for its activation, as after any registration.
    const again = await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } });
    expect(again.body.message).toBe("Account already exists but is not activated.");
  });
});

describe("two instances on one database", () => {
  let postgres: TestPostgres;
  let smtp: TestSmtp;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    [postgres, smtp] = await Promise.all([startPostgres(), startSmtp()]);
    const shared = { ...RESETS, ...smtp.env, DATABASE_URL: await postgres.database() };
    a = await startServer(shared);
    b = await startServer(shared);
  }, 120_000); // the first run on a machine without PostgreSQL installs it
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await smtp?.close();
    await postgres?.stop();
  });

  test("each queued mail is sent once, though both workers go for the same retries at the same time", async () => {
    const emails = Array.from({ length: 8 }, (_, index) => `shared-${index}@example.com`);
    for (const email of emails) await newUser(a, email);
    // Every first attempt is refused: the retries fall due together, and both instances see them in the database.
    smtp.refuseNext(emails.length);
    const before = smtp.attempts();
    await Promise.all(emails.map((email, index) => requestReset(index % 2 === 0 ? a : b, email)));
    for (const email of emails) await smtp.waitFor(email);

    const rows = await eventually(async () => {
      const found = await queryDatabase<{ sent_at: number | null }>(a.dataDir, "select sent_at from mail_queue where template = 'lost-password'");
      return found.length === emails.length && found.every((row) => row.sent_at !== null) && found;
    }, { what: "every mail's row marked sent" });
    expect(rows.filter((row) => row.sent_at !== null).length).toBe(emails.length);
    // At least a refusal and a delivery each (more if a slow start let a retry take a refusal meant for a first try).
    expect(smtp.attempts() - before).toBeGreaterThanOrEqual(2 * emails.length);
    for (const email of emails) expect(smtp.mails.filter((mail) => mail.to.includes(email)).length).toBe(1);
    const sentLines = (server: TestServer) => server.output().split("\n").filter((line) => line.includes("INFO mail sent template=lost-password")).length;
    expect(sentLines(a) + sentLines(b)).toBe(emails.length);
  });
});

describe("EMAILS_ENABLED=false", () => {
  let smtp: TestSmtp;
  let server: TestServer;
  beforeAll(async () => {
    smtp = await startSmtp();
    server = await startServer({ ...RESETS, ...smtp.env, EMAILS_ENABLED: "false" });
  });
  afterAll(async () => {
    await server.stop();
    await smtp.close();
  });

  test("a reset request answers 204 as usual and queues nothing, so no mail leaves", async () => {
    const email = "no.mail@example.com";
    await newUser(server, email);
    expect((await requestReset(server, email)).status).toBe(204);
    // The route queues before it answers: an empty queue now means no mail will ever be sent for it.
    expect(await queryDatabase(server.dataDir, "SELECT id FROM mail_queue")).toEqual([]);
    expect(smtp.attempts()).toBe(0);
  });
});
