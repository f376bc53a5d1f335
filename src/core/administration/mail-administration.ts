// The mail queue as the console shows it: mails waiting, given up (with the mail server's last answer) and sent;
// retrying one that was given up; a test mail sent now, whose answer comes back to the administrator; and each
// template as it would be sent, with sample data. Retries and test mails are audited.
import type { ListedMail, MailQueueRepository, MailState } from "../../db/repositories/mail-queue.ts";
import { CoreError } from "../errors.ts";
import type { Mailer } from "../mail/mailer.ts";
import type { MailQueue } from "../mail/queue.ts";
import { TEMPLATE_NAMES, type RenderedMail, type TemplateName } from "../mail/templates.ts";
import type { Actor, AuditLog } from "./audit-log.ts";
import { decodeCursor, encodeCursor, isTimePosition } from "./cursors.ts";

export type { ListedMail, MailState } from "../../db/repositories/mail-queue.ts";

/** What a test mail came to: the mail server's answer (or, without SMTP_HOST, the outbox file), or its refusal. */
export type TestMailOutcome = { sent: true; where: string; response: string | null } | { sent: false; where: null; error: string };

export interface MailAdministration {
  /** `invalid_cursor`. */
  page(state: MailState, cursor: string | null, limit: number): Promise<{ mails: ListedMail[]; next: string | null }>;
  /** `mail_not_found` unless the mail was given up. */
  retry(actor: Actor, id: string): Promise<void>;
  sendTest(actor: Actor, to: string): Promise<TestMailOutcome>;
  /** The template as it would be sent with sample data. */
  preview(template: TemplateName): RenderedMail;
  readonly templates: readonly TemplateName[];
}

/** What a preview fills the templates' variables with. */
const SAMPLE = {
  email: "someone@example.com",
  new_email: "someone.new@example.com",
  link: "https://app.example.com/path?ticket=00000000-0000-4000-8000-000000000000",
  ticket: "00000000-0000-4000-8000-000000000000",
  code: "123456",
};

/** A refusal as the administrator reads it: the transport's message (the mail server's answer), one line, bounded. */
function refusalText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").slice(0, 500);
}

export function createMailAdministration(deps: {
  mails: Pick<MailQueueRepository, "page">;
  queue: Pick<MailQueue, "retry">;
  mailer: Pick<Mailer, "sendTest" | "preview">;
  audit: AuditLog;
}): MailAdministration {
  const { mails, queue, mailer, audit } = deps;
  return {
    templates: TEMPLATE_NAMES,

    async page(state, cursor, limit) {
      const position = cursor === null ? null : decodeCursor(cursor, isTimePosition);
      const { rows, next } = await mails.page(state, position, limit);
      return { mails: rows, next: next === null ? null : encodeCursor(next) };
    },

    async retry(actor, id) {
      if (!(await queue.retry(id))) throw new CoreError("mail_not_found");
      await audit.record(actor, "mail_retried", `mail:${id}`);
    },

    async sendTest(actor, to) {
      let outcome: TestMailOutcome;
      try {
        const delivery = await mailer.sendTest(to);
        outcome = { sent: true, where: delivery.where, response: delivery.response };
      } catch (error) {
        outcome = { sent: false, where: null, error: refusalText(error) };
      }
      await audit.record(actor, "test_mail_sent", null, { to, sent: outcome.sent });
      return outcome;
    },

    preview: (template) => mailer.preview(template, SAMPLE),
  };
}
