// Refresh tokens: issue, rotate with reuse detection, revoke.
//
// A session (one sign-in, the "family" of its refresh tokens) is one row holding the SHA-256 of its current token.
// A token is a uuid v4 (HBP's wire format) whose first half, the handle, stays the same across the session's
// rotations and finds the row; its second half is new at each rotation. A rotation rewrites the row's digest in place:
// one row written and no index touched, where a row per token wrote a new row and three index entries, several
// times the work (bench/tools/rotation-floor.ts measures it; the figures: bench/README.md).
//
// Presenting a token of a session that is not its current one means a copy of an older token exists somewhere else
// (theft, or a leaked log): the session is revoked, so the thief's and the user's tokens both die. Within
// REFRESH_REUSE_GRACE_SECONDS of the session's last rotation it is only refused, because two tabs refreshing at once
// (or a retried request) look the same and must not log the user out.
//
// At rest: the handle (60 random bits) is stored as it is, so a leaked database leaves the 62 random bits of the
// second half to be found by brute force against SHA-256, about 3 GPU-years per token at hashcat's ~2e10/s, for a
// token that is replaced at the session's next refresh (every access-token lifetime while it is in use) and expires
// with it. Guessing over HTTP needs all 122 bits.
import type { Config } from "../../config.ts";
import type { SessionSummary, SessionsRepository, StoredSession } from "../../db/repositories/sessions.ts";
import type { Clock } from "../../lib/clock.ts";
import { CoreError } from "../errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Random } from "../../lib/random.ts";
import { constantTimeEqual, sha256Hex } from "../../lib/secrets.ts";
import type { CallerGate } from "../accounts/caller-gate.ts";
import type { SessionUser } from "../accounts/users.ts";

export interface SessionContext {
  userAgent?: string | null;
  ip?: string | null;
}

export interface IssuedSession {
  /** The refresh token itself (a uuid v4, HBP's wire format); only its digest is stored. */
  refreshToken: string;
  userId: string;
  /** The session's id: the same for every refresh token of one sign-in, and never part of one. */
  familyId: string;
  expiresAt: number;
}

/** "xxxxxxxx-xxxx-4xxx": a uuid v4's first 18 characters, 60 random bits. */
const HANDLE_LENGTH = 18;

/** A token's handle, or null when it cannot be one of ours (a session's tokens are uuids; anything else is unknown). */
function handleOf(refreshToken: string): string | null {
  return refreshToken.length === 36 ? refreshToken.slice(0, HANDLE_LENGTH) : null;
}

/** A new token of the session with this handle: the handle and a fresh random second half. */
function nextToken(random: Random, handle: string): string {
  return handle + random.uuid().slice(HANDLE_LENGTH);
}

/** Where a token was issued or last rotated, as the row keeps it. */
function clientColumns(context: SessionContext): { userAgent: string | null; ip: string | null } {
  return { userAgent: context.userAgent?.slice(0, 512) ?? null, ip: context.ip ?? null };
}

/** A rotation's successor, with its owner as they are now (who the new access token is for). */
export interface RotatedSession extends IssuedSession {
  user: SessionUser;
}

/** A live session as the operator lists it: no token, and when it was last used (issued or refreshed). */
export interface LiveSession extends Omit<SessionSummary, "rotatedAt"> {
  lastUsedAt: number;
}

/** Refresh-token sessions: what each method promises, whatever the database. */
export interface Sessions {
  /** Starts a new session for `userId` (who has proven who they are) and hands out its first refresh token. */
  issue(userId: string, context?: SessionContext): Promise<IssuedSession>;
  /**
   * Exchanges the current refresh token of a live session for its successor, with the owner as they are now.
   * `invalid_refresh_token` for anything else; a token of the session that is not its current one, presented past
   * the grace period, revokes the session (reuse detection). A banned or deleted owner's session ends.
   */
  rotate(refreshToken: string, context?: SessionContext): Promise<RotatedSession>;
  /** The user and session of a live session's current refresh token, or null. */
  live(refreshToken: string): Promise<{ userId: string; familyId: string } | null>;
  /** Whether a session is still live: access tokens of ended sessions are refused where that matters. */
  isLive(familyId: string): Promise<boolean>;
  /** Ends a session by its id. */
  endSession(familyId: string): Promise<void>;
  /** Ends the session a token belongs to, current or not (an old one is a reuse anyway). Unknown tokens are ignored. */
  revoke(refreshToken: string): Promise<void>;
  /** Ends every session of a user; `exceptSession` (a session id) stays. */
  revokeAllForUser(userId: string, options?: { exceptSession?: string | null }): Promise<void>;
  /** The user's live sessions, oldest first (`latchkey user sessions`). */
  liveOfUser(userId: string): Promise<LiveSession[]>;
}

export interface SessionSettings {
  /** JWT_REFRESH_EXPIRES_IN: how long a session lives without a refresh. */
  refreshExpiresInMinutes: number;
  /** REFRESH_REUSE_GRACE_SECONDS (see the head of this file). */
  refreshReuseGraceSeconds: number;
}

/** The session settings out of the whole configuration (core and the CLI both build sessions). */
export function sessionSettings(config: Pick<Config, "jwt" | "auth">): SessionSettings {
  return { refreshExpiresInMinutes: config.jwt.refreshExpiresInMinutes, refreshReuseGraceSeconds: config.auth.refreshReuseGraceSeconds };
}

export function createSessions(deps: {
  store: SessionsRepository;
  clock: Clock;
  random: Random;
  settings: SessionSettings;
  logger: Logger;
  callerGate: CallerGate;
}): Sessions {
  const { store, clock, random, logger, callerGate } = deps;
  const lifetimeMs = deps.settings.refreshExpiresInMinutes * 60_000;
  const graceMs = deps.settings.refreshReuseGraceSeconds * 1000;

  /** The session a token names (by its handle; by its digest if carried over), and whether it is its current token. */
  async function find(refreshToken: string, tokenHash = sha256Hex(refreshToken)): Promise<{ row: StoredSession; current: boolean } | null> {
    const handle = handleOf(refreshToken);
    const row = handle === null ? null : await store.byHandle(handle);
    if (row) return { row, current: constantTimeEqual(row.tokenHash, tokenHash) };
    const carried = await store.byCarriedDigest(tokenHash);
    return carried ? { row: carried, current: true } : null;
  }

  const revokeFamily = (familyId: string): Promise<void> => store.revoke(familyId, clock.now());

  return {
    async issue(userId, context = {}) {
      const refreshToken = random.uuid();
      const now = clock.now();
      const familyId = random.uuid();
      const expiresAt = now + lifetimeMs;
      await store.insert({
        id: familyId,
        userId,
        handle: handleOf(refreshToken),
        tokenHash: sha256Hex(refreshToken),
        expiresAt,
        createdAt: now,
        ...clientColumns(context),
      });
      return { refreshToken, userId, familyId, expiresAt };
    },

    async rotate(refreshToken, context = {}) {
      const now = clock.now();
      const tokenHash = sha256Hex(refreshToken);
      const handle = handleOf(refreshToken);
      const expiresAt = now + lifetimeMs;
      // A token that cannot be one of ours is refused without touching the database's write lock.
      if (handle === null) throw new CoreError("invalid_refresh_token");
      const successor = nextToken(random, handle);
      const claimed = await store.rotate({
        tokenHash,
        handle,
        newTokenHash: sha256Hex(successor),
        now,
        expiresAt,
        ...clientColumns(context),
      });
      if (claimed) {
        // The owner passes the caller gate, on the account as the rotation's own statement read it (one read for both
        // the check and the new access token): a banned, deleted or inactive user's session ends, and the successor
        // is never handed out.
        const { user } = callerGate.admitRow(claimed.owner);
        if (user === null) {
          await revokeFamily(claimed.id);
          throw new CoreError("invalid_refresh_token");
        }
        return { refreshToken: successor, userId: claimed.userId, familyId: claimed.id, expiresAt, user };
      }
      // Not claimed: unknown, expired, revoked, or a token of the session that is not its current one.
      const found = await find(refreshToken, tokenHash);
      if (found && !found.current && found.row.revokedAt === null) {
        const lastRotatedAt = found.row.rotatedAt;
        // `>=`: with no grace period, a token presented in the rotation's own millisecond is reuse too.
        if (lastRotatedAt === null || now - lastRotatedAt >= graceMs) {
          logger.warn("refresh token reuse detected; revoking its session", { user: found.row.userId, family: found.row.id });
          await revokeFamily(found.row.id);
        }
      }
      throw new CoreError("invalid_refresh_token");
    },

    async live(refreshToken) {
      const found = await find(refreshToken);
      const live = found?.current && found.row.revokedAt === null && found.row.expiresAt > clock.now();
      return live ? { userId: found.row.userId, familyId: found.row.id } : null;
    },

    async isLive(familyId) {
      const row = await store.liveness(familyId);
      return row !== null && row.revokedAt === null && row.expiresAt > clock.now();
    },

    endSession: revokeFamily,

    async revoke(refreshToken) {
      const found = await find(refreshToken);
      if (found) await revokeFamily(found.row.id);
    },

    revokeAllForUser: (userId, options = {}) => store.revokeAllOfUser(userId, clock.now(), options),

    async liveOfUser(userId) {
      const rows = await store.liveOfUser(userId, clock.now());
      return rows.map(({ rotatedAt, ...row }) => ({ ...row, lastUsedAt: rotatedAt ?? row.createdAt }));
    },
  };
}
