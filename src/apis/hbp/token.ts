// GET /auth/token/refresh, POST /auth/token/refresh (seed 001), POST /auth/token/revoke
import { t } from "elysia";
import type { Exchange, HbpContext } from "./context.ts";
import { presentedRefreshToken } from "./refresh-token.ts";
import { hbpSessionSchema, sessionReply, type HbpSession } from "./session-reply.ts";

export const refreshQuery = t.Object({ refresh_token: t.Optional(t.String({ maxLength: 64 })) });

/** Seed 001's older answer: the access token only (the refresh token stays in its cookie). */
export const accessTokenSchema = t.Pick(hbpSessionSchema, ["jwt_token", "jwt_expires_in"], { additionalProperties: false });

/** Rotates the token; answers in the mode it arrived in (cookie in, cookie out; query in, body out). */
export async function refresh(ctx: HbpContext, exchange: Exchange, queryToken: string | undefined): Promise<HbpSession> {
  const presented = presentedRefreshToken(ctx, exchange.headers, queryToken);
  const tokens = await ctx.core.sessionTokens.refresh(presented.token, exchange.client);
  return sessionReply(ctx, exchange, tokens, presented.fromCookie, { clearCookies: false });
}

/** Seed 001's older form: the cookie only, answered with a new cookie and `{jwt_token, jwt_expires_in}`. */
export async function refreshFromCookie(
  ctx: HbpContext,
  exchange: Exchange,
): Promise<Pick<HbpSession, "jwt_token" | "jwt_expires_in">> {
  // No query token on this path: without the cookie it is a 401.
  const { jwt_token, jwt_expires_in } = await refresh(ctx, exchange, undefined);
  return { jwt_token, jwt_expires_in };
}

/** Ends every session of the signed-in user. Access tokens already issued live until they expire. */
export async function revoke(ctx: HbpContext, userId: string): Promise<void> {
  await ctx.core.sessions.revokeAllForUser(userId);
}
