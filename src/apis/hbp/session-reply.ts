// HBP's session body `S` (spec/hbp.md §2) and its cookie mode.
import { hasuraClaims, toPermissionVariables } from "../../core/access-tokens.ts";
import type { SessionTokens } from "../../core/session-tokens.ts";
import type { User } from "../../core/users.ts";
import type { Exchange, HbpContext } from "./context.ts";

export interface HbpUser {
  id: string;
  email: string | null;
  display_name: string | null;
  avatar_url?: string;
}

export interface HbpSession {
  jwt_token: string;
  jwt_expires_in: number;
  user: HbpUser;
  refresh_token?: string;
}

export function hbpUser(user: User): HbpUser {
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
    const variables = toPermissionVariables(hasuraClaims(tokens.user, ctx.config.jwt.customFields));
    exchange.setCookie(...ctx.cookies.sessionCookies(tokens.refreshToken, variables));
  } else {
    if (options.clearCookies ?? true) exchange.setCookie(...ctx.cookies.clearedCookies());
    body.refresh_token = tokens.refreshToken;
  }
  return body;
}
