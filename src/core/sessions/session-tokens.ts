// A signed-in session as clients see it: a refresh token plus a fresh access token (JWT).
import type { AccessTokens, HasuraClaims } from "./access-tokens.ts";
import type { IssuedSession, SessionContext, Sessions } from "./sessions.ts";
import { assertCanSignIn, type SessionUser, type User } from "../accounts/users.ts";

export interface SessionTokens {
  /** What the answers use of the user (a refresh reads no more of its owner). */
  user: SessionUser;
  /** The session's id (the access token's `sid`). */
  familyId: string;
  refreshToken: string;
  accessToken: string;
  accessTokenExpiresInMs: number;
  refreshTokenExpiresAt: number;
  /** The claims inside the access token, built once (HBP also puts them in its permission_variables cookie). */
  claims: HasuraClaims;
}

/** Sessions with their access tokens, for the ways of signing in that end in a session. */
export interface SessionTokenService {
  /** Starts a session for a user who has proven who they are; refused (assertCanSignIn) if the account may not sign in. */
  start(user: User, context: SessionContext): Promise<SessionTokens>;
  /** Rotates a refresh token (sessions.rotate) and signs a new access token with the user's current roles. */
  refresh(refreshToken: string, context: SessionContext): Promise<SessionTokens>;
}

/** An issued (or rotated) session with an access token for it. */
export async function withAccessToken(accessTokens: AccessTokens, user: SessionUser, issued: IssuedSession): Promise<SessionTokens> {
  const access = await accessTokens.sign(user, { sessionId: issued.familyId });
  return {
    user,
    familyId: issued.familyId,
    refreshToken: issued.refreshToken,
    refreshTokenExpiresAt: issued.expiresAt,
    accessToken: access.token,
    accessTokenExpiresInMs: access.expiresInMs,
    claims: access.claims,
  };
}

export function createSessionTokens(deps: { sessions: Sessions; accessTokens: AccessTokens }): SessionTokenService {
  const { sessions, accessTokens } = deps;

  return {
    async start(user, context) {
      assertCanSignIn(user);
      return withAccessToken(accessTokens, user, await sessions.issue(user.id, context));
    },

    async refresh(refreshToken, context) {
      const issued = await sessions.rotate(refreshToken, context);
      return withAccessToken(accessTokens, issued.user, issued);
    },
  };
}
