// Nothing that grants access reaches the log (issue 23): the ticket of every mailed link (activation, reset, magic
// link, lncrawl's and WolfPal's links) appears nowhere in what the server prints, with SMTP and with the outbox. The
// log says which mail went where: the template, the recipient, and the SMTP server or the outbox file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { waitForOutboxMail } from "./support/outbox.ts";
import { startServer, waitForOutput, type TestServer } from "./support/server.ts";
import { startSmtp, type ReceivedMail, type TestSmtp } from "./support/smtp.ts";

const ENV = {
  VERIFY_EMAILS: "true",
  AUTO_ACTIVATE_NEW_USERS: "false",
  REDIRECT_URL_SUCCESS: "http://app.example/welcome",
  LOST_PASSWORD_ENABLED: "true",
  MAGIC_LINK_ENABLED: "true",
  LNCRAWL_ENABLED: "true",
  WOLFPAL_ENABLED: "true",
};

interface Mailbox {
  server: TestServer;
  /** The next mail to `to`, and where the log should say it went. */
  next(to: string): Promise<{ mail: ReceivedMail; via: string }>;
  close(): Promise<void>;
}

async function withSmtp(): Promise<Mailbox> {
  const smtp: TestSmtp = await startSmtp();
  const server = await startServer({ ...ENV, ...smtp.env });
  return {
    server,
    next: async (to) => ({ mail: await smtp.waitFor(to), via: `smtp://127.0.0.1:${smtp.port}` }),
    async close() {
      await server.stop();
      await smtp.close();
    },
  };
}

async function withOutbox(): Promise<Mailbox> {
  const server = await startServer(ENV);
  return {
    server,
    next: async (to) => {
      const mail = await waitForOutboxMail(server.dataDir, to);
      return { mail, via: mail.file };
    },
    close: async () => {
      await server.stop();
    },
  };
}

/** The ticket a mail carries, from its header; its link must carry the same. */
function ticketIn(mail: ReceivedMail): string {
  const ticket = mail.headers.get("x-ticket") ?? mail.headers.get("x-token");
  expect(ticket).toBeString();
  expect(mail.text).toContain(ticket!);
  return ticket!;
}

const form = (fields: Record<string, string>) => ({
  body: new URLSearchParams(fields).toString(),
  headers: { "content-type": "application/x-www-form-urlencoded" },
});

describe.each([
  ["with SMTP", withSmtp],
  ["with the outbox", withOutbox],
])("%s", (_, open) => {
  let box: Mailbox;
  beforeAll(async () => {
    box = await open();
  });
  afterAll(() => box.close());

  test("no mailed ticket is in the log; each mail's line names its template, recipient and where it went", async () => {
    const { server } = box;
    const email = "logs@example.com";
    const sent: { template: string; to: string; ticket: string; via: string }[] = [];
    const expectMail = async (template: string, to: string) => {
      const { mail, via } = await box.next(to);
      const ticket = ticketIn(mail);
      sent.push({ template, to, ticket, via });
      return ticket;
    };

    // HBP: activation, then a reset and a magic link for the now active account.
    expect((await call(server.url, "POST", "/auth/register", { json: { email, password: "password-123" } })).status).toBe(200);
    const activation = await expectMail("activate-account", email);
    expect((await call(server.url, "GET", `/auth/activate?ticket=${activation}`)).status).toBe(302);
    expect((await call(server.url, "POST", "/auth/change-password/request", { json: { email } })).status).toBe(204);
    await expectMail("lost-password", email);
    expect((await call(server.url, "POST", "/auth/login", { json: { email } })).body).toEqual({ magicLink: true });
    await expectMail("magic-link-log-in", email);
    // A password-less registration's sign-in link.
    expect((await call(server.url, "POST", "/auth/register", { json: { email: "magic-logs@example.com" } })).status).toBe(200);
    await expectMail("magic-link-register", "magic-logs@example.com");
    // lncrawl's reset link.
    expect((await call(server.url, "POST", "/api/auth/send-password-reset-link", { json: { email } })).body).toBe(true);
    await expectMail("lost-password", email);
    // WolfPal's links carry the token in the path, not in a query parameter.
    const wolf = "wolf-logs@example.com";
    const registered = form({ username: "WolfLogs", email: wolf, password: "wolf-password" });
    expect((await call(server.url, "POST", "/wolfpal/auth/register", registered)).status).toBe(201);
    const wolfActivation = await expectMail("activate-account", wolf);
    expect((await call(server.url, "PUT", `/wolfpal/user/activate-account/${wolfActivation}`)).status).toBe(200);
    expect((await call(server.url, "POST", "/wolfpal/user/forgot-password", form({ email: wolf }))).status).toBe(200);
    await expectMail("lost-password", wolf);

    // The server logs a mail once the SMTP server's answer is back, a moment after the mail arrived here.
    const lines = sent.map(({ template, to, via }) => `INFO mail sent template=${template} to=${to} via=${via}`);
    for (const line of lines) await waitForOutput(server, line, 10_000);
    const output = server.output();
    for (const { ticket } of sent) expect(output).not.toContain(ticket);
  });
});
