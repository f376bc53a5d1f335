// A signed-in session as clients see it: a refresh token plus a fresh access token (JWT).
import type { AccessTokens } from "./access-tokens.ts";
import type { IssuedSession, SessionContext, Sessions } from "./sessions.ts";
import { assertCanSignIn, type User } from "./users.ts";

export interface SessionTokens {
  user: User;
  refreshToken: string;
  accessToken: string;
  accessTokenExpiresInMs: number;
  refreshTokenExpiresAt: number;
}

export type SessionTokenService = ReturnType<typeof createSessionTokens>;

export function createSessionTokens(deps: { sessions: Sessions; accessTokens: AccessTokens }) {
  const { sessions, accessTokens } = deps;

  async function bundle(user: User, issued: IssuedSession): Promise<SessionTokens> {
    const access = await accessTokens.sign(user, { sessionId: issued.familyId });
    return {
      user,
      refreshToken: issued.refreshToken,
      refreshTokenExpiresAt: issued.expiresAt,
      accessToken: access.token,
      accessTokenExpiresInMs: access.expiresInMs,
    };
  }

  return {
    /** Starts a session for a user who has proven who they are. */
    async start(user: User, context: SessionContext): Promise<SessionTokens> {
      assertCanSignIn(user);
      return bundle(user, await sessions.issue(user.id, context));
    },

    /** Rotates a refresh token (see sessions.ts) and signs a new access token with the user's current roles. */
    async refresh(refreshToken: string, context: SessionContext): Promise<SessionTokens> {
      const issued = await sessions.rotate(refreshToken, context);
      return bundle(issued.user, issued);
    },
  };
}
