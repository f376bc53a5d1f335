// The refresh token a request carries: the `refresh_token` cookie, else the `?refresh_token=` query (HBP: the cookie wins).
import { isUuid } from "../../lib/ids.ts";
import { REFRESH_COOKIE } from "./cookies.ts";
import type { HbpContext } from "./context.ts";
import { HbpError } from "./errors.ts";

export interface PresentedRefreshToken {
  token: string;
  fromCookie: boolean;
}

export function presentedRefreshToken(ctx: HbpContext, headers: Headers, queryToken: string | undefined): PresentedRefreshToken {
  const cookieToken = ctx.cookies.read(headers.get("cookie"), REFRESH_COOKIE);
  if (cookieToken !== null) return { token: cookieToken, fromCookie: true };
  if (queryToken === undefined || queryToken === "") throw new HbpError(401, "Invalid or expired refresh token.");
  if (!isUuid(queryToken)) throw new HbpError(400, '"refresh_token" must be a valid GUID');
  return { token: queryToken, fromCookie: false };
}
