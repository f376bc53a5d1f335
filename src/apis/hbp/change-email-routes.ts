// HBP's email-change routes, a slice of the auth table (routes.ts): at once (VERIFY_EMAILS=false), or by a link
// mailed to the new address, with the page that link opens. Handlers: change-email.ts, ticket-pages.ts.
import { noContent } from "../route-docs.ts";
import type { HbpContext } from "./context.ts";
import { hbpAuthDoc as doc, RATE_LIMITED } from "./docs.ts";
import type { HbpAuthApp } from "./routes.ts";
import { changeEmailDirectly, confirmEmailChange, emailTicketBody, newEmailBody, requestEmailChange } from "./change-email.ts";
import { INVALID_TICKET, NOT_SIGNED_IN, ticketPage, ticketQuery } from "./route-answers.ts";
import { confirmEmailPage } from "./ticket-pages.ts";

/** /change-email, /change-email/request, /change-email/change (POST and the page). */
export function changeEmailRoutes(ctx: HbpContext) {
  return (app: HbpAuthApp) =>
    app
      .post("/change-email", ({ caller, body }) => changeEmailDirectly(ctx, caller.user.id, body.new_email), {
        feature: "directEmailChange",
        signedIn: true,
        body: newEmailBody,
        detail: doc("Change the address at once (VERIFY_EMAILS=false)", {
          204: noContent("The address is changed."),
          400: "The address is taken or not allowed.",
          401: NOT_SIGNED_IN,
          404: "Email change is disabled (CHANGE_EMAIL_ENABLED), or VERIFY_EMAILS=true asks for /auth/change-email/request.",
        }),
      })
      .post("/change-email/request", ({ exchange, caller, body }) => requestEmailChange(ctx, exchange, caller.user.id, body.new_email), {
        feature: "verifiedEmailChange",
        signedIn: true,
        body: newEmailBody,
        detail: doc("Mail a confirmation link to the new address (VERIFY_EMAILS=true)", {
          204: noContent("A confirmation link is mailed to the new address."),
          400: "The address is taken or not allowed.",
          401: NOT_SIGNED_IN,
          404: "Verified email change is disabled (CHANGE_EMAIL_ENABLED, VERIFY_EMAILS).",
          429: RATE_LIMITED,
        }),
      })
      .post("/change-email/change", ({ exchange, body }) => confirmEmailChange(ctx, exchange, body.ticket), {
        feature: "verifiedEmailChange",
        body: emailTicketBody,
        detail: doc("Confirm the new address with the mailed ticket", {
          204: noContent("The address is changed."),
          400: "The address has been taken meanwhile.",
          401: INVALID_TICKET,
          404: "Verified email change is disabled (CHANGE_EMAIL_ENABLED, VERIFY_EMAILS).",
          429: RATE_LIMITED,
        }),
      })
      .get("/change-email/change", ({ query }) => confirmEmailPage(query.ticket), {
        query: ticketQuery,
        detail: doc.get("The page an email-change link opens (HTML)", ticketPage("The confirmation button")),
      });
}
