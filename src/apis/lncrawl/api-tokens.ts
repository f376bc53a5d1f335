// POST /me/create-token, GET /verify-token?token=, POST /me/tokens.
import { t } from "elysia";
import type { Account } from "../../core/accounts/users.ts";
import { integer } from "../route-docs.ts";
import type { LncrawlContext, LncrawlExchange } from "./context.ts";

export const verifyTokenQuery = t.Object({ token: t.String({ minLength: 1, maxLength: 64 }) });

export const userTokenSchema = t.Object(
  { token: t.String(), user_id: t.String(), expires_at: integer({ description: "UNIX milliseconds" }) },
  { additionalProperties: false },
);

export type UserToken = typeof userTokenSchema.static;

export async function createToken(ctx: LncrawlContext, user: Account): Promise<{ token: string }> {
  return { token: (await ctx.core.apiTokens.createOrReuse(user.id)).token };
}

/** `true` when the token is live and its owner active; 403 for an unknown or expired token. */
export async function verifyToken(ctx: LncrawlContext, exchange: LncrawlExchange, token: string): Promise<boolean> {
  return (await ctx.core.apiTokens.owner(token, exchange.client)).active;
}

export async function listTokens(ctx: LncrawlContext, user: Account): Promise<UserToken[]> {
  return (await ctx.core.apiTokens.list(user.id)).map((row) => ({ token: row.token, user_id: row.userId, expires_at: row.expiresAt }));
}
