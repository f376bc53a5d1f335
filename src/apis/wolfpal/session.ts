// WolfPal's token pair: a 5-minute access JWT (audience "wolfpal", `sid` = the session) and a refresh token that
// rotates on every use (core/sessions/sessions.ts). Protected routes need a valid access token *and* a live session, as
// WolfPal's own passport check does, so logging out ends the access token at once.
import { t } from "elysia";
import { admittedUser } from "../../core/accounts/caller-gate.ts";
import { assertCanSignIn, type User } from "../../core/accounts/users.ts";
import { anyOf } from "../security.ts";
import type { WolfpalContext, WolfpalExchange } from "./context.ts";
import { WolfpalError } from "./errors.ts";

export const WOLFPAL_AUDIENCE = "wolfpal";
const ACCESS_TOKEN_SECONDS = 5 * 60;

export const tokenPairSchema = t.Object(
  {
    access_token: t.String({ description: "A JWT for `Authorization: Bearer`, valid for 5 minutes while its session lives" }),
    refresh_token: t.String({ description: "For /auth/refresh; each use gives a new one" }),
  },
  { $id: "WolfpalTokenPair", additionalProperties: false },
);

export type TokenPair = typeof tokenPairSchema.static;

export async function tokenPair(ctx: WolfpalContext, user: Pick<User, "id">, issued: { refreshToken: string; familyId: string }): Promise<TokenPair> {
  const access = await ctx.core.jwt.sign(
    { sid: issued.familyId, iss: ctx.core.publicUrl() },
    { subject: user.id, lifetimeSeconds: ACCESS_TOKEN_SECONDS, audience: WOLFPAL_AUDIENCE },
  );
  return { access_token: access, refresh_token: issued.refreshToken };
}

export async function startSession(ctx: WolfpalContext, exchange: WolfpalExchange, user: User): Promise<TokenPair> {
  assertCanSignIn(user);
  return tokenPair(ctx, user, await ctx.core.sessions.issue(user.id, exchange.client));
}

export function unauthorized(): WolfpalError {
  return new WolfpalError(401, "UNAUTHORIZED", "Unauthorized");
}

export interface SignedInSession {
  user: User;
  sessionId: string;
}

/** The caller of a protected route: a valid access token of a live session of an account the caller gate admits. */
export async function requireSession(ctx: WolfpalContext, headers: Headers): Promise<SignedInSession> {
  const authorization = headers.get("authorization") ?? "";
  if (!/^bearer /i.test(authorization)) throw unauthorized();
  const payload = await ctx.core.jwt.verify(authorization.slice(7).trim(), { audience: WOLFPAL_AUDIENCE });
  const sessionId = payload?.sid;
  if (typeof payload?.sub !== "string" || typeof sessionId !== "string" || !(await ctx.core.sessions.isLive(sessionId))) {
    throw unauthorized();
  }
  const admission = await ctx.core.callerGate.admit(payload.sub);
  if (admission.refusal === "deleted") throw unauthorized();
  return { user: admittedUser(admission), sessionId };
}

/**
 * WolfPal's guard, as an Elysia macro that a route names in its table (routes.ts): `session: true` gives the handler
 * the caller's `session` (requireSession above), or answers WolfPal's 401.
 */
export function wolfpalGuards(ctx: WolfpalContext) {
  return {
    session: (_: true) => ({
      resolve: async ({ request }: { request: Request }) => ({ session: await requireSession(ctx, request.headers) }),
      detail: { security: anyOf(["bearerJwt"]) },
    }),
  };
}
