// HBP's session body `S` (spec/hbp.md §2) and its cookie mode.
import { t } from "elysia";
import { toPermissionVariables } from "../../core/sessions/access-tokens.ts";
import type { SessionTokens } from "../../core/sessions/session-tokens.ts";
import type { SessionUser } from "../../core/accounts/users.ts";
import { integer } from "../route-docs.ts";
import type { Exchange, HbpContext } from "./context.ts";

export const hbpUserSchema = t.Object(
  { id: t.String(), email: t.Nullable(t.String()), display_name: t.Nullable(t.String()), avatar_url: t.Optional(t.String()) },
  { $id: "HbpUser", additionalProperties: false },
);

export const hbpSessionSchema = t.Object(
  {
    jwt_token: t.String({ description: "The access token (a JWT with Hasura's claims)" }),
    jwt_expires_in: integer({ description: "Its lifetime, in milliseconds" }),
    user: hbpUserSchema,
    refresh_token: t.Optional(t.String({ description: "Without cookies only (`cookie: false`, or a refresh by query)" })),
  },
  { $id: "HbpSession", additionalProperties: false, description: "A session (HBP's `S`): with cookies, the refresh token is in the refresh_token cookie" },
);

export type HbpUser = typeof hbpUserSchema.static;
export type HbpSession = typeof hbpSessionSchema.static;

export function hbpUser(user: SessionUser): HbpUser {
  const view: HbpUser = { id: user.id, email: user.email, display_name: user.displayName };
  if (user.avatarUrl) view.avatar_url = user.avatarUrl;
  return view;
}

/**
 * With cookies (HBP's default) the refresh token travels only in an HttpOnly cookie; without, the token is in the
 * body and the cookies are cleared, except by a refresh from the query (`clearCookies: false`), which HBP answers
 * without touching them (token/refresh.ts).
 */
export function sessionReply(
  ctx: HbpContext,
  exchange: Exchange,
  tokens: SessionTokens,
  useCookies: boolean,
  options: { clearCookies?: boolean } = {},
): HbpSession {
  const body: HbpSession = {
    jwt_token: tokens.accessToken,
    jwt_expires_in: tokens.accessTokenExpiresInMs,
    user: hbpUser(tokens.user),
  };
  if (useCookies) {
    const variables = toPermissionVariables(tokens.claims);
    exchange.setCookie(...ctx.cookies.sessionCookies(tokens.refreshToken, variables));
  } else {
    if (options.clearCookies ?? true) exchange.setCookie(...ctx.cookies.clearedCookies());
    body.refresh_token = tokens.refreshToken;
  }
  return body;
}
