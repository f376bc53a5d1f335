// HBP's password routes, a slice of the auth table (routes.ts): change it signed in, or reset it by a mailed ticket
// (LOST_PASSWORD_ENABLED), with the page the mailed link opens. Handlers: change-password.ts, ticket-pages.ts.
import { noContent } from "../route-docs.ts";
import type { HbpContext } from "./context.ts";
import { hbpAuthDoc as doc, RATE_LIMITED } from "./docs.ts";
import type { HbpAuthApp } from "./routes.ts";
import { changePassword, changePasswordBody, lostPasswordBody, requestPasswordReset, resetPassword, resetPasswordBody } from "./change-password.ts";
import { INVALID_TICKET, NEW_PASSWORD_REFUSED, NOT_SIGNED_IN, ticketPage, ticketQuery } from "./route-answers.ts";
import { resetPasswordPage } from "./ticket-pages.ts";

/** /change-password, /change-password/request, /change-password/change (POST and the page). */
export function changePasswordRoutes(ctx: HbpContext) {
  return (app: HbpAuthApp) =>
    app
      .post("/change-password", ({ exchange, caller, body }) => changePassword(ctx, exchange, caller, body), {
        signedIn: true,
        body: changePasswordBody,
        detail: doc("Change the password (ends the other sessions)", {
          204: noContent("Changed; every other session of the user ends."),
          400: NEW_PASSWORD_REFUSED,
          401: `${NOT_SIGNED_IN} Or the current password is wrong.`,
          429: RATE_LIMITED,
        }),
      })
      .post("/change-password/request", ({ exchange, body }) => requestPasswordReset(ctx, exchange, body.email), {
        feature: "lostPassword",
        body: lostPasswordBody,
        detail: doc("Mail a password-reset link (LOST_PASSWORD_ENABLED)", {
          204: noContent("A link is mailed if the address has an account; the answer and its time are the same either way."),
          404: "Password reset is disabled (LOST_PASSWORD_ENABLED).",
          429: RATE_LIMITED,
        }),
      })
      .post("/change-password/change", ({ exchange, body }) => resetPassword(ctx, exchange, body), {
        feature: "lostPassword",
        body: resetPasswordBody,
        detail: doc("Set a new password with the mailed ticket", {
          204: noContent("The password is set; every session of the user ends."),
          400: NEW_PASSWORD_REFUSED,
          401: INVALID_TICKET,
          404: "Password reset is disabled (LOST_PASSWORD_ENABLED).",
          429: RATE_LIMITED,
        }),
      })
      .get("/change-password/change", ({ query }) => resetPasswordPage(query.ticket), {
        feature: "lostPassword",
        query: ticketQuery,
        detail: doc.get("The page a password-reset link opens (HTML)", {
          ...ticketPage("The password form"),
          404: "Password reset is disabled (LOST_PASSWORD_ENABLED).",
        }),
      });
}
