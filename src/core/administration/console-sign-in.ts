// Signing in to the admin console: the password (password-check.ts: the same guess limits, dummy hash and account
// state as every API), then the second factor the administrator has (TOTP, through the same mfa-login ticket and
// guess limits as HBP's /auth/mfa/totp), then a console session. Only an account with the `admin` role gets one, and
// with CONSOLE_REQUIRE_MFA only one that has a second factor. Every outcome is in the audit log: a sign-in, and each
// refusal after the password was checked (a wrong password, no admin role, no second factor, a wrong code); refusals
// by the guess limits are not (they are security events already, and would let anyone grow the log at will).
import { normaliseEmail, type User } from "../accounts/users.ts";
import { isAdministrator } from "../accounts/admin-role.ts";
import { CoreError, isCoreError, type CoreErrorCode } from "../errors.ts";
import type { PasswordCheck } from "../passwords/password-check.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import type { SignIn } from "../sign-in/sign-in.ts";
import type { AuditLog } from "./audit-log.ts";
import type { ConsoleSecondFactor, ConsoleSessions, StartedConsoleSession } from "./console-sessions.ts";

/** The second factors the console can ask for. Passkeys (issue 27) will add "passkey", answered with its challenge. */
export type ConsoleSecondFactorMethod = "totp";

export type ConsoleSignInOutcome =
  | { kind: "signed-in"; started: StartedConsoleSession; admin: User }
  | { kind: "second-factor"; ticket: string; methods: ConsoleSecondFactorMethod[] };

export interface ConsoleSignIn {
  /**
   * The first step. `invalid_credentials`, `rate_limited`, `account_disabled`, `account_inactive`,
   * `not_an_administrator`, `second_factor_required`.
   */
  withPassword(login: string, password: string, client: SessionContext): Promise<ConsoleSignInOutcome>;
  /** The second step: the first step's ticket and a TOTP code. `invalid_ticket`, `invalid_totp_code`, `rate_limited`, `not_an_administrator`. */
  withTotp(ticket: string, code: string, client: SessionContext): Promise<{ started: StartedConsoleSession; admin: User }>;
  /** Ends the session, recorded as the administrator's sign-out. */
  signOut(session: { id: string }, admin: User, client: SessionContext): Promise<void>;
}

/** Refusals worth an audit entry: those that come after a real check (see the head of this file). */
const AUDITED_REFUSALS = new Set<CoreErrorCode>([
  "invalid_credentials",
  "account_disabled",
  "account_inactive",
  "not_an_administrator",
  "second_factor_required",
  "invalid_totp_code",
  "invalid_ticket",
]);

export function createConsoleSignIn(deps: {
  passwordCheck: PasswordCheck;
  signIn: Pick<SignIn, "afterFirstFactor" | "withTotp">;
  sessions: ConsoleSessions;
  audit: AuditLog;
  requireMfa: boolean;
}): ConsoleSignIn {
  const { passwordCheck, signIn, sessions, audit, requireMfa } = deps;

  /** Runs a step; a refusal worth it is audited under `login` before it is passed on. */
  async function audited<T>(login: string | null, client: SessionContext, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (isCoreError(error) && AUDITED_REFUSALS.has(error.code)) {
        await audit.record({ adminId: null, adminEmail: login, ip: client.ip ?? null }, "sign_in_failed", null, { reason: error.code });
      }
      throw error;
    }
  }

  async function open(admin: User, secondFactor: ConsoleSecondFactor, client: SessionContext) {
    const started = await sessions.start(admin, secondFactor, client);
    await audit.record(
      { adminId: admin.id, adminEmail: admin.email ?? admin.username, ip: client.ip ?? null },
      "sign_in",
      `console_session:${started.session.id}`,
      { second_factor: secondFactor },
    );
    return { started, admin };
  }

  return {
    async withPassword(login, password, client) {
      const typed = login.includes("@") ? normaliseEmail(login) : login.trim().toLowerCase();
      return audited(typed, client, async () => {
        const user = await passwordCheck.check(login, password, client);
        if (!isAdministrator(user)) throw new CoreError("not_an_administrator");
        const first = await signIn.afterFirstFactor(user);
        if (first.kind === "second-factor") return { kind: "second-factor", ticket: first.ticket, methods: ["totp"] };
        if (requireMfa) throw new CoreError("second_factor_required");
        return { kind: "signed-in", ...(await open(user, "none", client)) };
      });
    },

    async withTotp(ticket, code, client) {
      return audited(null, client, async () => {
        const user = await signIn.withTotp(ticket, code, client);
        if (!isAdministrator(user)) throw new CoreError("not_an_administrator");
        return open(user, "totp", client);
      });
    },

    async signOut(session, admin, client) {
      await sessions.end(session.id);
      await audit.record({ adminId: admin.id, adminEmail: admin.email ?? admin.username, ip: client.ip ?? null }, "sign_out", `console_session:${session.id}`);
    },
  };
}
