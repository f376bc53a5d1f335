// GET /auth/activate?ticket=  (the link of the activation mail)
import { t } from "elysia";
import { isCoreError } from "../../core/errors.ts";
import type { Exchange, HbpContext } from "./context.ts";
import { HbpError } from "./errors.ts";
import { sessionReply } from "./session-reply.ts";

export const activateQuery = t.Object({
  ticket: t.String({ maxLength: 64 }),
  cookie: t.Optional(t.String({ maxLength: 5 })),
});

export type ActivateQuery = typeof activateQuery.static;

/** Returns the URL to redirect to. */
export async function activate(ctx: HbpContext, exchange: Exchange, query: ActivateQuery): Promise<string> {
  const { redirectUrlSuccess, redirectUrlError } = ctx.config.auth;
  if (redirectUrlSuccess === null) throw new HbpError(404, "Account activation is disabled; set REDIRECT_URL_SUCCESS");
  try {
    const user = await ctx.core.activation.activate(query.ticket, exchange.client);
    const tokens = await ctx.core.sessionTokens.start(user, exchange.client);
    sessionReply(ctx, exchange, tokens, query.cookie !== "false");
    return withQuery(redirectUrlSuccess, "refresh_token", tokens.refreshToken);
  } catch (error) {
    if (!isCoreError(error)) throw error;
    if (redirectUrlError !== null) return redirectUrlError;
    throw new HbpError(401, "Invalid or expired ticket.");
  }
}

export function withQuery(url: string, name: string, value: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}${name}=${encodeURIComponent(value)}`;
}
