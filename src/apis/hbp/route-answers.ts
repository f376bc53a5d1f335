// Answers and schemas several of HBP's auth route tables share (routes.ts and its slices *-routes.ts).
import { t } from "elysia";
import { json, media } from "../route-docs.ts";
import { hbpSessionSchema } from "./session-reply.ts";

export const session = json(hbpSessionSchema, "Signed in: the session, with the cookies unless `cookie` is false.");
export const NOT_SIGNED_IN = "Not signed in: no valid access token or cookies, or the account is disabled, deleted or not active.";
export const INVALID_TICKET = "The ticket is unknown, used or expired.";
export const NEW_PASSWORD_REFUSED = "The new password is too short, too long or breached.";

/** The ticket a mailed link carries to the page it opens. */
export const ticketQuery = t.Object({ ticket: t.Optional(t.String({ maxLength: 64 })) });
export const ticketPage = (title: string) => ({
  200: media("text/html", `${title}: a form that posts the ticket to the route beside it.`),
  400: media("text/html", "A page saying the link is not valid (no ticket, or not one's shape)."),
});
