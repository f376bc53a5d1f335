// The console's mail page API (issue 28, item 5), black-box against a real SMTP server in the test: the queue with a
// mail given up and the mail server's answer, a retry that delivers it, a test mail sent now (and one refused, whose
// refusal comes back), each template with sample data, and the audit entries.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { consoleSignIn, type ConsoleClient } from "./support/console.ts";
import { eventually } from "./support/eventually.ts";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { startSmtp, type TestSmtp } from "./support/smtp.ts";

const ADMIN_EMAIL = "root@console-mail.example";
const ADMIN_PASSWORD = "console-mail-password-1";

let smtp: TestSmtp;
let server: TestServer;
let admin: ConsoleClient;

beforeAll(async () => {
  smtp = await startSmtp();
  // One attempt per mail: a refused one is given up at once.
  server = await startServer({ ...smtp.env, ADMIN_EMAIL, ADMIN_PASSWORD, MAIL_MAX_ATTEMPTS: "1" });
  admin = await consoleSignIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
});
afterAll(async () => {
  await server.stop();
  await smtp.close();
});

test("a refused mail is listed as failed with the mail server's answer; a retry sends it, and is audited", async () => {
  const email = `mail-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const registered = await call(server.url, "POST", "/auth/register", { json: { email, password: "mail-password-1", cookie: false } });
  smtp.refuseNext(1);
  expect((await admin.call("POST", `/users/${registered.body.user.id}/password-reset-mail`)).status).toBe(204);
  const failed = await eventually(
    async () => {
      const res = await admin.call("GET", "/mail?state=failed");
      return res.body.mails.find((mail: any) => mail.recipient === email);
    },
    { what: "the refused mail listed as failed" },
  );
  expect(failed).toMatchObject({ template: "lost-password", attempts: 1, next_attempt_at: null, sent_at: null });
  expect(failed.last_error).toContain("451");
  expect(JSON.stringify(failed)).not.toMatch(/ticket|prefix|link/);

  expect((await admin.call("POST", `/mail/${failed.id}/retry`)).status).toBe(204);
  const delivered = await smtp.waitFor(email);
  expect(delivered.subject).toBe("Reset your password");
  const sent = await eventually(
    async () => (await admin.call("GET", "/mail?state=sent")).body.mails.find((mail: any) => mail.id === failed.id),
    { what: "the retried mail listed as sent" },
  );
  expect(sent.sent_at).toBeNumber();
  // Only a mail that was given up is retried.
  const again = await admin.call("POST", `/mail/${failed.id}/retry`);
  expect(again.status).toBe(404);
  expect(again.body.error.code).toBe("mail_not_found");
  const [entry] = (await admin.call("GET", `/audit?target=${encodeURIComponent(`mail:${failed.id}`)}`)).body.entries;
  expect(entry).toMatchObject({ action: "mail_retried", admin_email: ADMIN_EMAIL });
});

test("a test mail is sent now and the server's answer comes back; a refusal comes back too; both are audited", async () => {
  const to = `test-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const sent = await admin.call("POST", "/mail/test", { to });
  expect(sent.status).toBe(200);
  expect(sent.body).toMatchObject({ sent: true, where: `smtp://127.0.0.1:${smtp.port}` });
  expect(sent.body.response).toMatch(/^250/);
  expect((await smtp.waitFor(to)).subject).toBe("latchkey test mail");

  smtp.refuseNext(1);
  const refused = await admin.call("POST", "/mail/test", { to });
  expect(refused.status).toBe(200);
  expect(refused.body.sent).toBe(false);
  expect(refused.body.error).toContain("451");
  const entries = (await admin.call("GET", "/audit?action=test_mail_sent")).body.entries;
  expect(entries.slice(0, 2).map((entry: any) => entry.details)).toEqual([
    { to, sent: false },
    { to, sent: true },
  ]);
  const bad = await admin.call("POST", "/mail/test", { to: "not an address" });
  expect(bad.status).toBe(400);
});

test("every template, filled with sample data; an unknown one is refused", async () => {
  const list = await admin.call("GET", "/mail/templates");
  expect(list.body.templates).toContain("lost-password");
  for (const name of list.body.templates) {
    const preview = await admin.call("GET", `/mail/templates/${name}`);
    expect(preview.status).toBe(200);
    expect(preview.body.subject.length).toBeGreaterThan(0);
    expect(preview.body.text).not.toContain("{{");
  }
  const reset = await admin.call("GET", "/mail/templates/lost-password");
  expect(reset.body).toMatchObject({ template: "lost-password", subject: "Reset your password" });
  expect(reset.body.text).toContain("someone@example.com");
  expect(reset.body.html).toContain('href="https://app.example.com/path?ticket=');
  expect((await admin.call("GET", "/mail/templates/no-such-template")).status).toBe(400);
});
