// Sessions of the admin console. Their own kind, in their own table (console_sessions): an HBP, lncrawl or WolfPal
// credential is never one, and a console session is never any of those. A session is a cookie holding a 256-bit
// token (only its SHA-256 is stored); it ends after CONSOLE_SESSION_IDLE_MINUTES without a request and 8 hours after
// the sign-in whatever happens, and at sign-out.
//
// Every request that changes something also carries the session's CSRF token (X-CSRF-Token): SHA-256 of the cookie's
// token under a label of its own, so it is bound to the session, needs no column, and cannot be worked out from the
// stored digest. A page of another origin cannot read it (it is only answered to a same-origin script), so a request
// it makes the browser send carries the cookie but not the token. Compared in constant time.
//
// Each request re-reads the account (the caller gate, as every API does) and its roles: a ban, a deletion or the
// `admin` role taken away ends the console's access at the next request.
import type { ConsoleSessionsRepository, StoredConsoleSession } from "../../db/repositories/console-sessions.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Random } from "../../lib/random.ts";
import { constantTimeEqual, sha256Hex } from "../../lib/secrets.ts";
import { isAdministrator } from "../accounts/admin-role.ts";
import { refusalError, type CallerGate } from "../accounts/caller-gate.ts";
import type { User } from "../accounts/users.ts";
import { CoreError } from "../errors.ts";
import type { SessionContext } from "../sessions/sessions.ts";

/** How long a console session lives at most, used or not. */
export const CONSOLE_SESSION_MAX_MS = 8 * 3_600_000;

/** What proved the administrator beyond the password. A passkey sign-in (issue 27) adds "passkey". */
export type ConsoleSecondFactor = "totp" | "passkey" | "none";

export type ConsoleSession = StoredConsoleSession;

export interface StartedConsoleSession {
  /** The cookie's value: only its digest is kept. */
  token: string;
  csrfToken: string;
  session: ConsoleSession;
}

export interface ConsoleCaller {
  session: ConsoleSession;
  admin: User;
  /** The token state-changing requests must carry. */
  csrfToken: string;
}

export interface ConsoleSessions {
  /** A new session for an administrator who has proven who they are. */
  start(admin: User, secondFactor: ConsoleSecondFactor, client: SessionContext): Promise<StartedConsoleSession>;
  /**
   * The session of a cookie's token and its administrator, its idle time restarted: `invalid_console_session` (none,
   * or over: it is then removed), `account_disabled`, `account_inactive`, `not_an_administrator`.
   */
  authenticate(token: string): Promise<ConsoleCaller>;
  /** Whether `presented` is the session's CSRF token (constant time). */
  csrfMatches(caller: ConsoleCaller, presented: string | null): boolean;
  end(sessionId: string): Promise<void>;
  /** How long a session may stay unused, in seconds (CONSOLE_SESSION_IDLE_MINUTES). */
  readonly idleSeconds: number;
}

const csrfTokenOf = (token: string): string => Buffer.from(sha256Hex(`latchkey console csrf\0${token}`), "hex").toString("base64url");

export function createConsoleSessions(deps: {
  store: ConsoleSessionsRepository;
  callerGate: CallerGate;
  clock: Clock;
  random: Random;
  idleMinutes: number;
}): ConsoleSessions {
  const { store, callerGate, clock, random } = deps;
  const idleMs = deps.idleMinutes * 60_000;

  return {
    idleSeconds: deps.idleMinutes * 60,

    async start(admin, secondFactor, client) {
      const token = random.token(32);
      const now = clock.now();
      const session: ConsoleSession = {
        id: random.uuid(),
        userId: admin.id,
        secondFactor,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + CONSOLE_SESSION_MAX_MS,
        ip: client.ip ?? null,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
      };
      await store.insert({ ...session, tokenHash: sha256Hex(token) });
      return { token, csrfToken: csrfTokenOf(token), session };
    },

    async authenticate(token) {
      // A cookie of another shape is no token of ours: no read for it.
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) throw new CoreError("invalid_console_session");
      const session = await store.byTokenHash(sha256Hex(token));
      if (session === null) throw new CoreError("invalid_console_session");
      const now = clock.now();
      if (session.expiresAt <= now || session.lastSeenAt + idleMs <= now) {
        await store.remove(session.id);
        throw new CoreError("invalid_console_session");
      }
      const admission = await callerGate.admit(session.userId);
      if (admission.user === null) {
        if (admission.refusal === "deleted") throw new CoreError("invalid_console_session");
        throw refusalError(admission.refusal);
      }
      if (!isAdministrator(admission.user)) throw new CoreError("not_an_administrator");
      await store.touch(session.id, now);
      return { session: { ...session, lastSeenAt: now }, admin: admission.user, csrfToken: csrfTokenOf(token) };
    },

    csrfMatches(caller, presented) {
      return presented !== null && constantTimeEqual(presented, caller.csrfToken);
    },

    async end(sessionId) {
      await store.remove(sessionId);
    },
  };
}
