// `latchkey mail test <address>` (issue 23): one mail, sent now with the server's mail settings, and what the mail
// server said: exit 0 with its answer, exit 1 with the error.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLatchkey } from "./support/server.ts";
import { parseMail, startSmtp, type TestSmtp } from "./support/smtp.ts";
import { closedPort } from "./support/ports.ts";

let smtp: TestSmtp;
let dataDir: string;

beforeAll(async () => {
  smtp = await startSmtp();
  dataDir = mkdtempSync(join(tmpdir(), "latchkey-mail-command-"));
});
afterAll(async () => {
  await smtp.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const mailTest = (address: string, env: Record<string, string>) =>
  runLatchkey(["mail", "test", address], { DATA_DIR: dataDir, ...env }, dataDir);


describe("latchkey mail test", () => {
  test("sends one mail and prints the SMTP server's answer; exit 0", async () => {
    const result = await mailTest("ops@example.com", smtp.env);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^smtp://127\\.0\\.0\\.1:${smtp.port} accepted the mail to ops@example\\.com: 250 `));
    const mail = await smtp.waitFor("ops@example.com");
    expect(mail.subject).toBe("latchkey test mail");
    expect(mail.headers.get("from")).toContain("latchkey@example.com");
  });

  test("a refused mail: exit 1 with the server's answer", async () => {
    smtp.refuseNext(1);
    const result = await mailTest("refused@example.com", smtp.env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`latchkey: the mail to refused@example.com was not sent (smtp://127.0.0.1:${smtp.port}): `);
    expect(result.stderr).toContain("451 4.3.0 Try again later");
  });

  test("a mail server that cannot be reached: exit 1 with the error", async () => {
    const port = await closedPort();
    const result = await mailTest("nobody@example.com", { ...smtp.env, SMTP_PORT: String(port) });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`latchkey: the mail to nobody@example.com was not sent (smtp://127.0.0.1:${port}): `);
    expect(result.stderr).toContain("ECONNREFUSED");
  });

  test("without SMTP_HOST: the mail is written to the outbox, and the file named", async () => {
    const result = await mailTest("outbox@example.com", {});
    expect(result.exitCode).toBe(0);
    const file = /written to (\S+\.eml)$/m.exec(result.stdout)?.[1];
    expect(file).toStartWith(join(dataDir, "outbox"));
    expect(existsSync(file!)).toBe(true);
    expect(parseMail(readFileSync(file!, "utf8"), ["outbox@example.com"]).subject).toBe("latchkey test mail");
  });

  test.each([[["mail"]], [["mail", "test"]], [["mail", "send", "a@example.com"]]])("%p: usage, exit 2", async (args) => {
    const result = await runLatchkey(args, { DATA_DIR: dataDir }, dataDir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("latchkey mail test <address>");
  });
});
