// A password login, in one call: the password (password-check.ts), then either the second-factor ticket (TOTP on)
// or a new session with its tokens; for an API without a second-factor step, the user or `mfa_required`. The
// password check returns only an account that may sign in (it asserts that), so the session starts without asking
// again.
import type { AccessTokens } from "../sessions/access-tokens.ts";
import { CoreError } from "../errors.ts";
import type { PasswordCheck } from "../passwords/password-check.ts";
import type { IssuedSession, SessionContext, Sessions } from "../sessions/sessions.ts";
import { withAccessToken, type SessionTokens } from "../sessions/session-tokens.ts";
import type { Totp } from "../second-factors/totp.ts";
import type { SignIn } from "./sign-in.ts";
import type { User } from "../accounts/users.ts";
import type { Observations } from "../observations.ts";

/** Signed in with `session`, or a ticket for the second step (the user has TOTP: no session on the password alone). */
export type LoginOutcome<Session> = { kind: "signed-in"; session: Session } | { kind: "second-factor"; ticket: string; user: User };

/** A session without an access token, for a dialect that signs its own. */
export interface StartedSession extends IssuedSession {
  user: User;
}

export interface Login {
  /**
   * `login` (an address or a username) and its password: a session and its access token, or the second-factor
   * ticket. `invalid_credentials`, `rate_limited`, `account_disabled`, `account_inactive` (password-check.ts).
   */
  withPassword(login: string, password: string, client: SessionContext): Promise<LoginOutcome<SessionTokens>>;
  /** The same, with the session only: the dialect signs its own access token for it. */
  withPasswordToSession(login: string, password: string, client: SessionContext): Promise<LoginOutcome<StartedSession>>;
  /**
   * For APIs with no second-factor step and no session (lncrawl's login signs a token for the user; HTTP Basic): the
   * user, and `mfa_required` for a user with TOTP, who must not get in on the password alone.
   */
  withPasswordOnly(login: string, password: string, client: SessionContext): Promise<User>;
}

export function createLogin(deps: {
  passwordCheck: PasswordCheck;
  signIn: Pick<SignIn, "afterFirstFactor">;
  totp: Pick<Totp, "isEnabled">;
  sessions: Sessions;
  accessTokens: AccessTokens;
  observations: Pick<Observations, "signIn">;
}): Login {
  const { passwordCheck, signIn, totp, sessions, accessTokens, observations } = deps;

  /** After the password: the second-factor ticket, or a new session for the user it proved. */
  async function afterPassword(user: User, client: SessionContext): Promise<LoginOutcome<StartedSession>> {
    const first = await signIn.afterFirstFactor(user);
    if (first.kind === "second-factor") {
      observations.signIn("second_factor");
      return first;
    }
    const session = await sessions.issue(user.id, client);
    observations.signIn("success");
    return { kind: "signed-in", session: { ...session, user } };
  }

  return {
    async withPassword(login, password, client) {
      const outcome = await afterPassword(await passwordCheck.check(login, password, client), client);
      if (outcome.kind === "second-factor") return outcome;
      return { kind: "signed-in", session: await withAccessToken(accessTokens, outcome.session.user, outcome.session) };
    },

    async withPasswordToSession(login, password, client) {
      return afterPassword(await passwordCheck.check(login, password, client), client);
    },

    async withPasswordOnly(login, password, client) {
      const user = await passwordCheck.check(login, password, client);
      if (await totp.isEnabled(user.id)) {
        observations.signIn("second_factor");
        throw new CoreError("mfa_required");
      }
      observations.signIn("success");
      return user;
    },
  };
}
