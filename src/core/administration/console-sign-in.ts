// Signing in to the admin console: the password (password-check.ts: the same guess limits, dummy hash and account
// state as every API), then the second factor the administrator has (TOTP, through the same mfa-login ticket and
// guess limits as HBP's /auth/mfa/totp, or a passkey, answering that ticket as HBP's /auth/mfa/webauthn does), then
// a console session. An administrator with a passkey is asked for it (or their TOTP code) even without TOTP: the
// ticket is issued here then, since HBP's login asks only a user with TOTP for a second step. Only an account with the `admin` role gets one, and
// with CONSOLE_REQUIRE_MFA only one that has a second factor. Every outcome is in the audit log: a sign-in, and each
// refusal after the password was checked (a wrong password, no admin role, no second factor, a wrong code); refusals
// by the guess limits are not (they are security events already, and would let anyone grow the log at will).
import { normaliseEmail, type User } from "../accounts/users.ts";
import { isAdministrator } from "../accounts/admin-role.ts";
import { CoreError, isCoreError, type CoreErrorCode } from "../errors.ts";
import type { PasswordCheck } from "../passwords/password-check.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import type { SignIn } from "../sign-in/sign-in.ts";
import type { PasskeySignIn } from "../sign-in/passkey-sign-in.ts";
import type { Passkeys } from "../second-factors/passkeys.ts";
import type { AssertionResponse, RequestOptions } from "../second-factors/webauthn.ts";
import type { Challenges } from "../challenges/challenges.ts";
import type { AuditLog } from "./audit-log.ts";
import type { ConsoleSecondFactor, ConsoleSessions, StartedConsoleSession } from "./console-sessions.ts";

/** The second factors the console can ask for: a TOTP code, or a passkey (answered with its challenge). */
export type ConsoleSecondFactorMethod = "totp" | "passkey";

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
  /** The passkey step's options: the ticket's administrator's passkeys. `invalid_ticket`, `rate_limited`. */
  passkeyOptions(ticket: string, client: SessionContext): Promise<RequestOptions>;
  /**
   * The second step answered with a passkey (the ticket used up only on success). `invalid_ticket`,
   * `invalid_passkey`, `rate_limited`, `not_an_administrator`, `account_disabled`.
   */
  withPasskey(ticket: string, response: AssertionResponse, client: SessionContext): Promise<{ started: StartedConsoleSession; admin: User }>;
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
  "invalid_passkey",
]);

export function createConsoleSignIn(deps: {
  passwordCheck: PasswordCheck;
  signIn: Pick<SignIn, "afterFirstFactor" | "withTotp">;
  passkeySignIn: Pick<PasskeySignIn, "mfaOptions" | "withMfaTicket">;
  passkeys: Pick<Passkeys, "list">;
  challenges: Pick<Challenges, "issueTicket">;
  sessions: ConsoleSessions;
  audit: AuditLog;
  requireMfa: boolean;
  /** WEBAUTHN_ENABLED: passkeys are asked for only when their ceremonies run. */
  passkeysEnabled: boolean;
  /** The second step's ticket lifetime, as HBP's login gives it (TICKET_EXPIRES_IN). */
  ticketTtlSeconds: number;
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
        const hasPasskey = deps.passkeysEnabled && (await deps.passkeys.list(user.id)).length > 0;
        const methods: ConsoleSecondFactorMethod[] = [...(first.kind === "second-factor" ? (["totp"] as const) : []), ...(hasPasskey ? (["passkey"] as const) : [])];
        if (methods.length > 0) {
          const ticket =
            first.kind === "second-factor" ? first.ticket : await deps.challenges.issueTicket(user.id, "mfa-login", { ttlSeconds: deps.ticketTtlSeconds });
          return { kind: "second-factor", ticket, methods };
        }
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

    async passkeyOptions(ticket, client) {
      return audited(null, client, () => deps.passkeySignIn.mfaOptions(ticket, client));
    },

    async withPasskey(ticket, response, client) {
      return audited(null, client, async () => {
        const user = await deps.passkeySignIn.withMfaTicket(ticket, response, client);
        if (!isAdministrator(user)) throw new CoreError("not_an_administrator");
        return open(user, "passkey", client);
      });
    },

    async signOut(session, admin, client) {
      await sessions.end(session.id);
      await audit.record({ adminId: admin.id, adminEmail: admin.email ?? admin.username, ip: client.ip ?? null }, "sign_out", `console_session:${session.id}`);
    },
  };
}
