// `latchkey mail test <address>`: sends one mail now, not through the queue, with the SMTP_* settings the server
// uses, and prints what the mail server answered: the quickest way to find out whether mail settings work, since
// the server itself only logs a failed attempt and retries it later.
import type { Config } from "../config.ts";
import { TEST_MAIL } from "../core/mail/test-mail.ts";
import { outboxTransport, smtpTransport } from "../core/mail/transport.ts";
import { systemRandom } from "../lib/random.ts";

export const MAIL_HELP = `latchkey mail test <address>       send one mail now (not through the queue) and print the SMTP server's
                                   answer (without SMTP_HOST: the outbox file written); exit 1 if it fails`;


/** Runs the command; returns the process exit code. */
export async function mailCommand(config: Config, outboxDir: string, args: string[]): Promise<number> {
  const [action, address, ...rest] = args;
  if (action !== "test" || !address || rest.length > 0) {
    console.error(`latchkey: usage:\n${MAIL_HELP}`);
    return 2;
  }
  const transport = config.mail.smtp ? smtpTransport(config.mail.smtp) : outboxTransport(outboxDir, systemRandom);
  try {
    const delivery = await transport.send({ from: config.mail.sender, to: address, ...TEST_MAIL });
    if (delivery.response === null) console.log(`no SMTP_HOST: the mail to ${address} was written to ${delivery.where}`);
    else console.log(`${delivery.where} accepted the mail to ${address}: ${delivery.response}`);
    return 0;
  } catch (error) {
    const where = config.mail.smtp ? `smtp://${config.mail.smtp.host}:${config.mail.smtp.port}` : outboxDir;
    console.error(`latchkey: the mail to ${address} was not sent (${where}): ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    transport.close();
  }
}
