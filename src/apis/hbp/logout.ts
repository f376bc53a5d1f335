// POST /auth/logout
import { t } from "elysia";
import type { Exchange, HbpContext } from "./context.ts";
import { presentedRefreshToken } from "./refresh-token.ts";

export const logoutBody = t.Optional(t.Object({ all: t.Optional(t.Boolean()) }, { additionalProperties: false }));
export const logoutQuery = t.Object({ refresh_token: t.Optional(t.String({ maxLength: 64 })) });

export async function logout(ctx: HbpContext, exchange: Exchange, queryToken: string | undefined, all: boolean): Promise<void> {
  const presented = presentedRefreshToken(ctx, exchange.headers, queryToken);
  if (presented.fromCookie) exchange.setCookie(...ctx.cookies.clearedCookies());
  if (all) {
    // Only a live token may sign the user out everywhere; a stale one just gets its 204.
    const session = await ctx.core.sessions.live(presented.token);
    if (session) await ctx.core.sessions.revokeAllForUser(session.userId);
  } else {
    await ctx.core.sessions.revoke(presented.token);
  }
}
