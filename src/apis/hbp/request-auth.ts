// Who is calling: HBP's permission variables from a Bearer JWT, or from the `permission_variables` cookie.
// As in HBP the cookie wins over the header. Unlike HBP, latchkey honours that cookie only when it is signed
// by this server *and* arrives with a live `refresh_token` cookie of the same user, so signing out (or
// reuse detection) ends cookie access at once instead of 30 days later.
import type { PermissionVariables } from "../../core/access-tokens.ts";
import { toPermissionVariables } from "../../core/access-tokens.ts";
import { PERMISSIONS_COOKIE, REFRESH_COOKIE } from "./cookies.ts";
import type { HbpContext } from "./context.ts";
import { HbpError } from "./errors.ts";

export interface Caller {
  variables: PermissionVariables;
  /** The session the request comes from (the JWT's `sid`, or the refresh cookie's), when known. */
  sessionId: string | null;
}

async function fromCookies(ctx: HbpContext, headers: Headers): Promise<Caller | null> {
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
  const session = await ctx.core.sessions.live(refreshToken);
  if (typeof userId !== "string" || session?.userId !== userId) return null;
  return { variables: variables as PermissionVariables, sessionId: session.familyId };
}

async function fromBearer(ctx: HbpContext, headers: Headers): Promise<Caller | null> {
  const authorization = headers.get("authorization");
  if (!authorization?.startsWith("Bearer ")) return null;
  const verified = await ctx.core.accessTokens.verify(authorization.slice("Bearer ".length).trim());
  return verified ? { variables: toPermissionVariables(verified.claims), sessionId: verified.sessionId } : null;
}

/** The caller; null for an anonymous one (a bad or expired JWT counts as none). */
export async function caller(ctx: HbpContext, headers: Headers): Promise<Caller | null> {
  return (await fromCookies(ctx, headers)) ?? (await fromBearer(ctx, headers));
}

/** The caller's permission variables; null for an anonymous caller. */
export async function permissionVariables(ctx: HbpContext, headers: Headers): Promise<PermissionVariables | null> {
  return (await caller(ctx, headers))?.variables ?? null;
}

/**
 * The signed-in caller, or a 401 with the route's own message. The account is looked up too: a JWT outlives a
 * ban or a deletion by up to JWT_EXPIRES_IN, and latchkey's own routes must not serve it meanwhile.
 */
export async function requireCaller(ctx: HbpContext, headers: Headers, message = "Not logged in"): Promise<Caller & { userId: string }> {
  const found = await caller(ctx, headers);
  const userId = found?.variables["user-id"];
  if (!found || typeof userId !== "string") throw new HbpError(401, message);
  const user = await ctx.core.users.findById(userId);
  if (!user || user.disabled) throw new HbpError(401, message);
  return { ...found, userId };
}

/** The signed-in user's id, or a 401 with the route's own message. */
export async function requireUserId(ctx: HbpContext, headers: Headers, message = "Not logged in"): Promise<string> {
  return (await requireCaller(ctx, headers, message)).userId;
}
