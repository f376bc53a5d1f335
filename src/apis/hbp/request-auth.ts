// Who is calling: HBP's permission variables from a Bearer JWT, or from the `permission_variables` cookie.
// As in HBP the cookie wins over the header. Unlike HBP, latchkey honours that cookie only when it is signed
// by this server *and* arrives with a live `refresh_token` cookie of the same user, so signing out (or
// reuse detection) ends cookie access at once instead of 30 days later.
import type { PermissionVariables } from "../../core/access-tokens.ts";
import { toPermissionVariables } from "../../core/access-tokens.ts";
import { PERMISSIONS_COOKIE, REFRESH_COOKIE } from "./cookies.ts";
import type { HbpContext } from "./context.ts";
import { HbpError } from "./errors.ts";

async function fromCookies(ctx: HbpContext, headers: Headers): Promise<PermissionVariables | null> {
  const cookieHeader = headers.get("cookie");
  const raw = ctx.cookies.read(cookieHeader, PERMISSIONS_COOKIE);
  const refreshToken = ctx.cookies.read(cookieHeader, REFRESH_COOKIE);
  if (raw === null || refreshToken === null) return null;
  let variables: unknown;
  try {
    variables = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof variables !== "object" || variables === null) return null;
  const userId = (variables as PermissionVariables)["user-id"];
  if (typeof userId !== "string" || (await ctx.core.sessions.liveUserId(refreshToken)) !== userId) return null;
  return variables as PermissionVariables;
}

async function fromBearer(ctx: HbpContext, headers: Headers): Promise<PermissionVariables | null> {
  const authorization = headers.get("authorization");
  if (!authorization?.startsWith("Bearer ")) return null;
  const claims = await ctx.core.accessTokens.verify(authorization.slice("Bearer ".length).trim());
  return claims ? toPermissionVariables(claims) : null;
}

/** The caller's permission variables; null for an anonymous caller (a bad or expired JWT counts as none). */
export async function permissionVariables(ctx: HbpContext, headers: Headers): Promise<PermissionVariables | null> {
  return (await fromCookies(ctx, headers)) ?? (await fromBearer(ctx, headers));
}

/** The signed-in user's id, or a 401 with the route's own message. */
export async function requireUserId(ctx: HbpContext, headers: Headers, message = "Not logged in"): Promise<string> {
  const variables = await permissionVariables(ctx, headers);
  const userId = variables?.["user-id"];
  if (typeof userId !== "string") throw new HbpError(401, message);
  return userId;
}
