// GET /auth/magic-link?token=&action=log-in|register (MAGIC_LINK_ENABLED): the link of a magic-link mail.
import { t } from "elysia";
import { isCoreError } from "../../core/errors.ts";
import type { User } from "../../core/accounts/users.ts";
import { withQuery } from "./activate.ts";
import type { Exchange, HbpContext } from "./context.ts";
import { featureDisabled, fromCoreError } from "./errors.ts";
import { sessionReply } from "./session-reply.ts";

export const magicLinkQuery = t.Object({
  token: t.String({ maxLength: 64 }),
  action: t.Union([t.Literal("log-in"), t.Literal("register")]),
  cookie: t.Optional(t.String({ maxLength: 5 })),
});

export type MagicLinkQuery = typeof magicLinkQuery.static;

/** Returns the URL to redirect to. */
export async function followMagicLink(ctx: HbpContext, exchange: Exchange, query: MagicLinkQuery): Promise<string> {
  const { redirectUrlSuccess, redirectUrlError, magicLinkEnabled } = ctx.config.auth;
  if (!magicLinkEnabled || redirectUrlSuccess === null) throw featureDisabled("Magic link", "MAGIC_LINK_ENABLED");
  let user: User;
  try {
    user =
      query.action === "register"
        ? await ctx.core.activation.activate(query.token, exchange.client)
        : await ctx.core.signIn.withMagicLink(query.token, exchange.client);
  } catch (error) {
    if (!isCoreError(error) || error.code === "rate_limited") throw error;
    if (redirectUrlError !== null) return redirectUrlError;
    throw fromCoreError(error);
  }
  const tokens = await ctx.core.sessionTokens.start(user, exchange.client);
  sessionReply(ctx, exchange, tokens, query.cookie !== "false");
  return withQuery(redirectUrlSuccess, "refresh_token", tokens.refreshToken);
}
