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
import { and, eq, gt, isNull, ne, type SQL, sql } from "drizzle-orm";
import type { Config } from "../config.ts";
import type { Database, Transaction } from "../db/client.ts";
import { groupCommit } from "../db/group-commit.ts";
import type { Clock } from "../lib/clock.ts";
import { CoreError } from "./errors.ts";
import type { Logger } from "../lib/logger.ts";
import type { Random } from "../lib/random.ts";
import { constantTimeEqual, sha256Hex } from "../lib/secrets.ts";
import type { CallerGate } from "./caller-gate.ts";
import type { User } from "./users.ts";

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
  user: User;
}

export type Sessions = ReturnType<typeof createSessions>;

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

export function createSessions(deps: { db: Database; clock: Clock; random: Random; settings: SessionSettings; logger: Logger; callerGate: CallerGate }) {
  const { db, clock, random, logger, callerGate } = deps;
  const lifetimeMs = deps.settings.refreshExpiresInMinutes * 60_000;
  const graceMs = deps.settings.refreshReuseGraceSeconds * 1000;
  const { sessions } = db.tables;

  // The claim: one conditional UPDATE, so of two concurrent rotations of one token exactly one wins, on SQLite and on
  // any other database. A session carried over from a row per token (no handle yet) is found by its digest instead,
  // and takes its token's handle, so that token is then known as the session's predecessor like any other. The hot
  // rotation sets no indexed column: SQLite maintains the index of every column an UPDATE sets, even to the value it
  // had (about half a rotation's work in SQLite), and PostgreSQL can make it a HOT update only when no indexed column
  // changes. Rotations run inside group transactions, so they are transaction statements (src/db/lookup.ts):
  // compiled once, where drizzle otherwise rebuilt each query's SQL (most of a refresh), and run straight on
  // bun:sqlite on SQLite.
  const rotate = db.transactionStatement((tx) => prepareRotation(tx, eq(sessions.handle, sql.placeholder("handle")), {}));
  const rotateCarried = db.transactionStatement((tx) =>
    prepareRotation(tx, and(isNull(sessions.handle), eq(sessions.carriedTokenHash, sql.placeholder("tokenHash")))!, {
      handle: sql`${sql.placeholder("handle")}`,
      carriedTokenHash: sql`null`,
    }),
  );
  function prepareRotation(tx: Transaction, found: SQL, carried: { handle?: SQL; carriedTokenHash?: SQL }) {
    return tx
      .update(sessions)
      .set({
        ...carried,
        tokenHash: sql`${sql.placeholder("newTokenHash")}`,
        rotatedAt: sql`${sql.placeholder("now")}`,
        expiresAt: sql`${sql.placeholder("expiresAt")}`,
        userAgent: sql`${sql.placeholder("userAgent")}`,
        ip: sql`${sql.placeholder("ip")}`,
      })
      .where(
        and(
          found,
          eq(sessions.tokenHash, sql.placeholder("tokenHash")),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, sql.placeholder("now")),
        ),
      )
      .returning({ userId: sessions.userId, id: sessions.id }) // what rotate() needs, not the whole row
      .prepare();
  }
  const selectColumns = {
    id: sessions.id,
    userId: sessions.userId,
    tokenHash: sessions.tokenHash,
    expiresAt: sessions.expiresAt,
    rotatedAt: sessions.rotatedAt,
    revokedAt: sessions.revokedAt,
  };
  const selectByHandle = db.select(selectColumns).from(sessions).where(eq(sessions.handle, sql.placeholder("handle"))).prepare();
  const selectCarried = db
    .select(selectColumns)
    .from(sessions)
    .where(and(isNull(sessions.handle), eq(sessions.carriedTokenHash, sql.placeholder("tokenHash"))))
    .prepare();
  // Every WolfPal request with an access token asks whether its session is still live.
  const sessionById = db.lookup(
    db.select({ revokedAt: sessions.revokedAt, expiresAt: sessions.expiresAt }).from(sessions).where(eq(sessions.id, sql.placeholder("key"))),
  );
  const inGroup = groupCommit(db);

  /** The session a token names (by its handle; by its digest if carried over), and whether it is its current token. */
  async function find(refreshToken: string, tokenHash = sha256Hex(refreshToken)) {
    const handle = handleOf(refreshToken);
    const [row] = handle === null ? [] : await selectByHandle.execute({ handle });
    if (row) return { row, current: constantTimeEqual(row.tokenHash, tokenHash) };
    const [carried] = await selectCarried.execute({ tokenHash });
    return carried ? { row: carried, current: true } : null;
  }

  async function revokeFamily(familyId: string): Promise<void> {
    await db
      .update(sessions)
      .set({ revokedAt: clock.now() })
      .where(and(eq(sessions.id, familyId), isNull(sessions.revokedAt)));
  }

  return {
    /** Starts a new session. */
    async issue(userId: string, context: SessionContext = {}): Promise<IssuedSession> {
      const refreshToken = random.uuid();
      const now = clock.now();
      const familyId = random.uuid();
      const expiresAt = now + lifetimeMs;
      await db.insert(sessions).values({
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

    /** Exchanges the current refresh token of a live session for its successor. */
    async rotate(refreshToken: string, context: SessionContext = {}): Promise<RotatedSession> {
      const now = clock.now();
      const tokenHash = sha256Hex(refreshToken);
      const handle = handleOf(refreshToken);
      const expiresAt = now + lifetimeMs;
      // A token that cannot be one of ours is refused without touching the database's write lock.
      if (handle === null) throw new CoreError("invalid_refresh_token");
      const successor = nextToken(random, handle);
      const claim = {
        tokenHash,
        handle,
        newTokenHash: sha256Hex(successor),
        now,
        expiresAt,
        ...clientColumns(context),
      };
      // The claim, in a transaction shared with the rotations arriving at the same time.
      const claimed = await inGroup(async (tx) => {
        const [row] = await rotate(tx, claim);
        return row ?? (await rotateCarried(tx, claim))[0] ?? null;
      });
      if (claimed) {
        // The owner passes the caller gate, one read for both the check and the caller's new access token. Checked
        // after the commit, the outcome is the same as inside it: a banned or deleted user's session ends, and the
        // successor is never handed out.
        const { user } = await callerGate.admit(claimed.userId);
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

    /** The user and session of a live session's current refresh token, or null. */
    async live(refreshToken: string): Promise<{ userId: string; familyId: string } | null> {
      const found = await find(refreshToken);
      const live = found?.current && found.row.revokedAt === null && found.row.expiresAt > clock.now();
      return live ? { userId: found.row.userId, familyId: found.row.id } : null;
    },

    /** Whether a session is still live: access tokens of ended sessions are refused where that matters. */
    async isLive(familyId: string): Promise<boolean> {
      const row = await sessionById(familyId);
      return row !== null && row.revokedAt === null && row.expiresAt > clock.now();
    },

    /** Ends a session by its id. */
    endSession: revokeFamily,

    /** Ends the session a token belongs to, current or not (an old one is a reuse anyway). Unknown tokens are ignored. */
    async revoke(refreshToken: string): Promise<void> {
      const found = await find(refreshToken);
      if (found) await revokeFamily(found.row.id);
    },

    /** Ends every session of a user; `exceptSession` (a session id) stays. */
    async revokeAllForUser(userId: string, options: { exceptSession?: string | null } = {}): Promise<void> {
      const keptFamily = options.exceptSession ?? null;
      await db
        .update(sessions)
        .set({ revokedAt: clock.now() })
        .where(
          and(
            eq(sessions.userId, userId),
            isNull(sessions.revokedAt),
            keptFamily === null ? undefined : ne(sessions.id, keptFamily),
          ),
        );
    },
  };
}
