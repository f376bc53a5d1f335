// Sessions (core/sessions/sessions.ts): one row per sign-in holding the SHA-256 of its current refresh token, found by the
// token's handle (or, for a session carried over from a row per token, by its digest).
//
// A refresh is the hottest write: its claim is one conditional UPDATE, so of two concurrent rotations of one token
// exactly one wins, on SQLite and on any other database. The rotation sets no indexed column: SQLite maintains the
// index of every column an UPDATE sets, even to the value it had (about half a rotation's work), and PostgreSQL can
// make it a HOT update only when no indexed column changes. On SQLite, rotations submitted in the same turn of the
// event loop share one transaction (db/group-commit.ts: one commit for all); on PostgreSQL each runs on its own on
// the pool (fewer round trips, the same file says why). So the claims are transaction statements (db/lookup.ts):
// compiled once, run straight on bun:sqlite on SQLite, prepared once on the pool on PostgreSQL. The claim also reads
// the session's owner (users.ts's sessionUserOf, in its RETURNING: only the columns a refresh uses): the new access
// token is for the owner as they are now, and one statement costs less than the claim and then a lookup
// (bench/README.md, "Refresh").
import { and, count, eq, gt, isNull, ne, type SQL, sql } from "drizzle-orm";
import type { Database, Transaction } from "../database.ts";
import { groupCommit } from "../group-commit.ts";
import { sessionUserOf, type StoredSessionUser } from "./users.ts";

/** A new session's row. */
export interface NewSession {
  id: string;
  userId: string;
  /** The refresh token's first half: the same for every token of the session (null: a token not of our shape). */
  handle: string | null;
  tokenHash: string;
  expiresAt: number;
  createdAt: number;
  userAgent: string | null;
  ip: string | null;
}

/** A session as a token finds it. */
export interface StoredSession {
  id: string;
  userId: string;
  /** SHA-256 of its current refresh token. */
  tokenHash: string;
  expiresAt: number;
  /** When the current token replaced its predecessor; null if never. */
  rotatedAt: number | null;
  revokedAt: number | null;
}

/** What a rotation claims with and writes. */
// A type, not an interface, so it passes as the named values of the transaction statements as it is.
export type RotationClaim = {
  /** The handle of the presented token. */
  handle: string;
  /** SHA-256 of the presented token: it must be the session's current one. */
  tokenHash: string;
  /** SHA-256 of its successor. */
  newTokenHash: string;
  /** The session must not have expired by then; also the rotation's time. */
  now: number;
  /** The session's new expiry. */
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
};

/** A won rotation: the session and what a refresh uses of its owner's account, read by the rotation's statement. */
export interface ClaimedSession {
  id: string;
  userId: string;
  owner: StoredSessionUser | null;
}

/** A live session as the operator sees it (`latchkey user sessions`): no token digest. */
export interface SessionSummary {
  id: string;
  createdAt: number;
  /** When its current token replaced its predecessor: the last refresh (null: never rotated). */
  rotatedAt: number | null;
  expiresAt: number;
  /** Where it was issued or last refreshed from. */
  ip: string | null;
  userAgent: string | null;
}

export interface SessionsRepository {
  insert(session: NewSession): Promise<void>;
  /**
   * Replaces a live session's current token digest by its successor's, if `tokenHash` is its current one: the
   * session's id, its user's id and what a refresh uses of that account (users.ts's StoredSessionUser) as the same
   * statement read it (null: no such account) when this call won, null otherwise (unknown, expired, revoked, not the
   * current token, or another rotation of the same token came first). A carried-over session is found by its digest
   * and takes the handle. Exactly one of concurrent rotations of one token wins, on any instances.
   */
  rotate(claim: RotationClaim): Promise<ClaimedSession | null>;
  /** The session whose tokens have this handle, or null. */
  byHandle(handle: string): Promise<StoredSession | null>;
  /** A carried-over session (no handle yet) whose current token has this digest, or null. */
  byCarriedDigest(tokenHash: string): Promise<StoredSession | null>;
  /** A session's end and revocation, by its id, or null: asked on requests whose access token names its session. */
  liveness(id: string): Promise<{ expiresAt: number; revokedAt: number | null } | null>;
  /** Revokes a session that is not revoked yet. */
  revoke(id: string, now: number): Promise<void>;
  /** The user's sessions neither revoked nor expired at `now`, oldest first. */
  liveOfUser(userId: string, now: number): Promise<SessionSummary[]>;
  /** Revokes every live session of a user except `exceptSession`. */
  revokeAllOfUser(userId: string, now: number, options?: { exceptSession?: string | null }): Promise<void>;
  /** Sessions neither revoked nor expired at `now`, of every user: asked once per metrics scrape, never per request. */
  countLive(now: number): Promise<number>;
}

export function createSessionsRepository(db: Database): SessionsRepository {
  const { sessions } = db.tables;
  const owner = sessionUserOf(db, sessions.userId);

  const rotateByHandle = db.transactionStatement((tx) => prepareRotation(tx, eq(sessions.handle, sql.placeholder("handle")), {}));
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
      .returning({ userId: sessions.userId, id: sessions.id, owner }) // what a rotation needs, not the whole row
      .prepare();
  }
  const inGroup = groupCommit(db);

  const storedColumns = {
    id: sessions.id,
    userId: sessions.userId,
    tokenHash: sessions.tokenHash,
    expiresAt: sessions.expiresAt,
    rotatedAt: sessions.rotatedAt,
    revokedAt: sessions.revokedAt,
  };
  const selectByHandle = db.select(storedColumns).from(sessions).where(eq(sessions.handle, sql.placeholder("handle"))).prepare();
  const selectCarried = db
    .select(storedColumns)
    .from(sessions)
    .where(and(isNull(sessions.handle), eq(sessions.carriedTokenHash, sql.placeholder("tokenHash"))))
    .prepare();
  // The primary key: a lookup, no LIMIT. WolfPal asks it on every request with an access token.
  const liveness = db.lookup(
    db.select({ revokedAt: sessions.revokedAt, expiresAt: sessions.expiresAt }).from(sessions).where(eq(sessions.id, sql.placeholder("key"))),
  );

  return {
    async insert(session) {
      await db.insert(sessions).values(session);
    },

    rotate(claim) {
      // A unit of a group commit must not throw for an expected outcome: a lost claim is null.
      return inGroup(async (tx) => {
        const [row] = await rotateByHandle(tx, claim);
        return row ?? (await rotateCarried(tx, claim))[0] ?? null;
      });
    },

    async byHandle(handle) {
      const [row] = await selectByHandle.execute({ handle });
      return row ?? null;
    },

    async byCarriedDigest(tokenHash) {
      const [row] = await selectCarried.execute({ tokenHash });
      return row ?? null;
    },

    liveness,

    async revoke(id, now) {
      await db
        .update(sessions)
        .set({ revokedAt: now })
        .where(and(eq(sessions.id, id), isNull(sessions.revokedAt)));
    },

    liveOfUser: (userId, now) =>
      db
        .select({
          id: sessions.id,
          createdAt: sessions.createdAt,
          rotatedAt: sessions.rotatedAt,
          expiresAt: sessions.expiresAt,
          ip: sessions.ip,
          userAgent: sessions.userAgent,
        })
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
        .orderBy(sessions.createdAt),

    async revokeAllOfUser(userId, now, options = {}) {
      const kept = options.exceptSession ?? null;
      await db
        .update(sessions)
        .set({ revokedAt: now })
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), kept === null ? undefined : ne(sessions.id, kept)));
    },

    async countLive(now) {
      const [row] = await db
        .select({ live: count() })
        .from(sessions)
        .where(and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now)));
      return Number(row?.live ?? 0);
    },
  };
}
