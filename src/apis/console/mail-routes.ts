// The console's mail routes, a slice of its API table (routes.ts): the mail queue, a retry, a test mail and the
// templates' previews. Handlers: mail.ts.
import { json, noContent } from "../route-docs.ts";
import type { ConsoleContext } from "./context.ts";
import { CHANGES, consoleDoc as doc, SIGNED_IN } from "./docs.ts";
import {
  listMail,
  listTemplates,
  mailAnswerSchema,
  mailParams,
  mailQuery,
  previewSchema,
  previewTemplate,
  retryMail,
  sendTestMail,
  templateParams,
  templatesAnswerSchema,
  testMailAnswerSchema,
  testMailBody,
} from "./mail.ts";
import type { ConsoleApiApp } from "./routes.ts";

/** /mail, /mail/:id/retry, /mail/test, /mail/templates(/:name). */
export function mailRoutes(ctx: ConsoleContext) {
  return (app: ConsoleApiApp) =>
    app
.get("/mail", ({ query }) => listMail(ctx, query), {
        console: "read",
        query: mailQuery,
        detail: doc.get("The mail queue: mails waiting, given up (with the mail server's last answer) or sent, newest first", {
          200: json(mailAnswerSchema, "A page of mails and the cursor of the next."),
          ...SIGNED_IN,
          400: "invalid_cursor: `after` is not a cursor of this list.",
        }),
      })
      .post("/mail/:id/retry", ({ actor, params }) => retryMail(ctx, actor, params.id), {
        console: "change",
        params: mailParams,
        detail: doc("Send a mail that was given up again, with a fresh count of attempts", {
          204: noContent("Due now."),
          ...CHANGES,
          404: "mail_not_found: no mail with this id was given up.",
        }),
      })
      .post("/mail/test", ({ actor, body }) => sendTestMail(ctx, actor, body.to), {
        console: "change",
        body: testMailBody,
        detail: doc("Send a test mail now (not through the queue) and answer what the mail server said", {
          200: json(testMailAnswerSchema, "Sent (the server's answer, or the outbox file), or not sent (its refusal)."),
          ...CHANGES,
        }),
      })
      .get("/mail/templates", () => listTemplates(ctx), {
        console: "read",
        detail: doc.get("The mail templates", { 200: json(templatesAnswerSchema, "Their names."), ...SIGNED_IN }),
      })
      .get("/mail/templates/:name", ({ params }) => previewTemplate(ctx, params.name), {
        console: "read",
        params: templateParams,
        detail: doc.get("A mail template as it is sent (EMAIL_TEMPLATES_DIR's files where there are), filled with sample data", {
          200: json(previewSchema, "The subject, text and HTML."),
          ...SIGNED_IN,
        }),
      });
}
