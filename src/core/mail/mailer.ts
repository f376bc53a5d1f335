// The mailer: renders a template and hands the mail to the transport (SMTP, or the outbox folder). Only the mail
// worker (core/mail/worker.ts) calls it; routes queue intents instead (core/mail/intents.ts).
import type { Config } from "../../config.ts";
import type { Logger } from "../../lib/logger.ts";
import type { MailContent } from "./intents.ts";
import { loadTemplates, render, type RenderedMail, type TemplateName } from "./templates.ts";
import { TEST_MAIL } from "./test-mail.ts";
import type { Delivery, MailTransport } from "./transport.ts";

export interface Mailer {
  /** Rejects with the transport's error (the mail server's answer) when the mail did not go. */
  send(template: TemplateName, content: MailContent): Promise<Delivery>;
  /** Sends the test mail (test-mail.ts) to `to` now; rejects with the mail server's refusal. */
  sendTest(to: string): Promise<Delivery>;
  /** A template as it would be sent with `variables` (EMAIL_TEMPLATES_DIR's files where it has them). */
  preview(template: TemplateName, variables: Record<string, string>): RenderedMail;
  close(): void;
}

export function createMailer(deps: { config: Config["mail"]; transport: MailTransport; logger: Logger }): Mailer {
  const { config, transport, logger } = deps;
  const templates = loadTemplates(config.templatesDir);

  return {
    async send(template, { to, variables, headers }) {
      const mail = render(templates[template], { email: to, ...variables });
      const delivery = await transport.send({ from: config.sender, to, ...mail, headers: headers ?? {} });
      // Which mail went where: never its link, ticket or code (they grant access; a log is no place for them).
      // Without SMTP `via` is the .eml file in the outbox, where the operator finds the link.
      logger.info("mail sent", { template, to, via: delivery.where });
      return delivery;
    },
    async sendTest(to) {
      const delivery = await transport.send({ from: config.sender, to, ...TEST_MAIL, headers: {} });
      logger.info("test mail sent", { to, via: delivery.where });
      return delivery;
    },

    preview: (template, variables) => render(templates[template], variables),

    close: () => transport.close(),
  };
}
