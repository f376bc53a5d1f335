// GET /mail (the queue: waiting, failed with the mail server's answer, sent), POST /mail/:id/retry, POST /mail/test,
// GET /mail/templates/:name (a template with sample data).
import { t } from "elysia";
import type { Actor } from "../../core/administration/audit-log.ts";
import type { ListedMail } from "../../core/administration/mail-administration.ts";
import { TEMPLATE_NAMES, type TemplateName } from "../../core/mail/templates.ts";
import { integer } from "../route-docs.ts";
import type { ConsoleContext } from "./context.ts";
import { NEXT } from "./views.ts";

export const mailQuery = t.Object(
  {
    state: t.Optional(t.Union([t.Literal("waiting"), t.Literal("failed"), t.Literal("sent")], { default: "waiting" })),
    after: t.Optional(t.String({ minLength: 1, maxLength: 1024, description: "The `next` of the page before" })),
    limit: t.Optional(t.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

export const mailParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });
export const templateParams = t.Object({ name: t.Union(TEMPLATE_NAMES.map((name) => t.Literal(name))) });
export const testMailBody = t.Object({ to: t.String({ format: "email", maxLength: 254 }) }, { additionalProperties: false });

const nullableMillis = (description: string) => t.Union([integer({ description: `${description} (epoch ms)` }), t.Null()]);

const listedMailSchema = t.Object(
  {
    id: t.String(),
    queued_at: integer({ description: "epoch ms" }),
    recipient: t.String(),
    template: t.String(),
    attempts: integer(),
    next_attempt_at: nullableMillis("due (or its lease ends, while being sent); null: sent or given up"),
    last_error: t.Nullable(t.String({ description: "the mail server's answer to the last failed attempt" })),
    sent_at: nullableMillis("sent"),
  },
  { $id: "ConsoleMail", additionalProperties: false },
);

export const mailAnswerSchema = t.Object({ mails: t.Array(listedMailSchema), next: NEXT }, { additionalProperties: false });

export const testMailAnswerSchema = t.Union(
  [
    t.Object(
      { sent: t.Literal(true), where: t.String({ description: "the SMTP server, or the outbox file" }), response: t.Nullable(t.String({ description: "the SMTP server's answer" })) },
      { additionalProperties: false },
    ),
    t.Object({ sent: t.Literal(false), where: t.Null(), error: t.String({ description: "why it did not go: the mail server's refusal" }) }, { additionalProperties: false }),
  ],
  { $id: "ConsoleTestMail" },
);

export const templatesAnswerSchema = t.Object({ templates: t.Array(t.String()) }, { additionalProperties: false });

export const previewSchema = t.Object(
  { template: t.String(), subject: t.String(), text: t.String(), html: t.String({ description: "the HTML part, as source" }) },
  { $id: "ConsoleMailPreview", additionalProperties: false },
);

function listed(mail: ListedMail): typeof listedMailSchema.static {
  return {
    id: mail.id,
    queued_at: mail.at,
    recipient: mail.recipient,
    template: mail.template,
    attempts: mail.attempts,
    next_attempt_at: mail.nextAttemptAt,
    last_error: mail.lastError,
    sent_at: mail.sentAt,
  };
}

export async function listMail(ctx: ConsoleContext, query: typeof mailQuery.static): Promise<typeof mailAnswerSchema.static> {
  const { mails, next } = await ctx.core.administration.mail.page(query.state ?? "waiting", query.after ?? null, query.limit ?? 50);
  return { mails: mails.map(listed), next };
}

export async function retryMail(ctx: ConsoleContext, actor: Actor, id: string): Promise<void> {
  await ctx.core.administration.mail.retry(actor, id);
}

export async function sendTestMail(ctx: ConsoleContext, actor: Actor, to: string): Promise<typeof testMailAnswerSchema.static> {
  return ctx.core.administration.mail.sendTest(actor, to);
}

export function listTemplates(ctx: ConsoleContext): typeof templatesAnswerSchema.static {
  return { templates: [...ctx.core.administration.mail.templates] };
}

export function previewTemplate(ctx: ConsoleContext, name: TemplateName): typeof previewSchema.static {
  return { template: name, ...ctx.core.administration.mail.preview(name) };
}
