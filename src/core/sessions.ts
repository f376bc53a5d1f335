// Refresh tokens: issue, rotate with reuse detection, revoke.
//
// Each token is a row in `sessions` holding only its SHA-256. Rotation marks the presented row `rotated_at`
// and inserts its successor in the same family. Presenting a rotated token again means a copy of it exists
// somewhere else (theft, or a leaked log): the whole family is revoked, so the thief's and the user's
// descendants both die. A presentation within REFRESH_REUSE_GRACE_SECONDS of the rotation is refused without
// that, because two tabs refreshing at once (or a retried request) look the same and must not log the user out.
import { and, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { Config } from "../config.ts";
import type { Database, Transaction } from "../db/client.ts";
import { groupCommit } from "../db/group-commit.ts";
import type { SessionRow } from "../db/schema.ts";
import type { Clock } from "./clock.ts";
import { CoreError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { randomUuid, sha256Hex } from "./secrets.ts";

export interface SessionContext {
  userAgent?: string | null;
  ip?: string | null;
}

export interface IssuedSession {
  /** The refresh token itself (a uuid v4, HBP's wire format); only its digest is stored. */
  refreshToken: string;
  userId: string;
  /** The session's id: every refresh token of one sign-in shares it. */
  familyId: string;
  expiresAt: number;
}

export type Sessions = ReturnType<typeof createSessions>;

export function createSessions(deps: { db: Database; clock: Clock; config: Config; logger: Logger }) {
  const { db, clock, logger } = deps;
  const lifetimeMs = deps.config.jwt.refreshExpiresInMinutes * 60_000;
  const graceMs = deps.config.auth.refreshReuseGraceSeconds * 1000;
  const { sessions, users } = db.tables;

  // The statements of a refresh, compiled once per handle (drizzle otherwise rebuilds each query's SQL: ~60% of a
  // refresh in issue 7's bench). Rotations run inside group transactions, so they are compiled for the
  // transaction's handle too (once on SQLite, whose transaction handle is always the same; once per group on
  // PostgreSQL).
  const statements = new WeakMap<Database | Transaction, ReturnType<typeof prepareStatements>>();
  function statementsOf(runner: Database | Transaction) {
    let prepared = statements.get(runner);
    if (prepared === undefined) statements.set(runner, (prepared = prepareStatements(runner)));
    return prepared;
  }
  const prepareStatements = (runner: Database | Transaction) => ({
    insertRow: prepareInsert(runner),
    claimRow: prepareClaim(runner),
    selectOwner: runner
      .select({ active: users.active, disabled: users.disabled })
      .from(users)
      .where(eq(users.id, sql.placeholder("userId")))
      .prepare(), // unique keys: no LIMIT (drizzle binds it as a parameter, which is ~2.5x slower)
  });
  const prepareInsert = (runner: Database | Transaction) => runner
    .insert(sessions)
    .values({
      id: sql.placeholder("id"),
      userId: sql.placeholder("userId"),
      tokenHash: sql.placeholder("tokenHash"),
      familyId: sql.placeholder("familyId"),
      expiresAt: sql.placeholder("expiresAt"),
      createdAt: sql.placeholder("createdAt"),
      userAgent: sql.placeholder("userAgent"),
      ip: sql.placeholder("ip"),
    })
    .prepare();
  const prepareClaim = (runner: Database | Transaction) => runner
    .update(sessions)
    .set({ rotatedAt: sql`${sql.placeholder("now")}` })
    .where(
      and(
        eq(sessions.tokenHash, sql.placeholder("tokenHash")),
        isNull(sessions.rotatedAt),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql.placeholder("now")),
      ),
    )
    .returning({ userId: sessions.userId, familyId: sessions.familyId }) // what rotate() needs, not the whole row
    .prepare();
  const selectByTokenHash = db.select().from(sessions).where(eq(sessions.tokenHash, sql.placeholder("tokenHash"))).prepare();
  const inGroup = groupCommit(db);

  async function insert(userId: string, familyId: string, context: SessionContext, runner: Database | Transaction = db): Promise<IssuedSession> {
    const refreshToken = randomUuid();
    const now = clock.now();
    const expiresAt = now + lifetimeMs;
    await statementsOf(runner).insertRow.execute({
      // Time-ordered (v7), so each new row lands at the end of the primary key's index instead of on a random page
      // of it: one page less written per rotation (refreshes ~6.2k -> ~8.2k req/s, issue 7). The id never leaves
      // the server; the refresh token, which does, stays 122 random bits.
      id: Bun.randomUUIDv7(),
      userId,
      tokenHash: sha256Hex(refreshToken),
      familyId,
      expiresAt,
      createdAt: now,
      userAgent: context.userAgent?.slice(0, 512) ?? null,
      ip: context.ip ?? null,
    });
    return { refreshToken, userId, familyId, expiresAt };
  }

  async function revokeFamily(familyId: string): Promise<void> {
    await db
      .update(sessions)
      .set({ revokedAt: clock.now() })
      .where(and(eq(sessions.familyId, familyId), isNull(sessions.revokedAt)));
  }

  async function findByToken(refreshToken: string): Promise<SessionRow | undefined> {
    const [row] = await selectByTokenHash.execute({ tokenHash: sha256Hex(refreshToken) });
    return row;
  }

  return {
    /** Starts a new session (a new token family). */
    issue(userId: string, context: SessionContext = {}): Promise<IssuedSession> {
      return insert(userId, randomUuid(), context);
    },

    /**
     * Exchanges a live refresh token for its successor. The claim is one conditional UPDATE, so of two
     * concurrent calls with the same token exactly one wins, on SQLite and on any other database.
     */
    async rotate(refreshToken: string, context: SessionContext = {}): Promise<IssuedSession> {
      const now = clock.now();
      const tokenHash = sha256Hex(refreshToken);
      // Claim, owner check and successor in one transaction, shared with the rotations arriving at the same time.
      const outcome = await inGroup(async (tx): Promise<IssuedSession | { refused: "unclaimed" } | { refused: "owner"; familyId: string }> => {
        const { claimRow, selectOwner } = statementsOf(tx);
        const [claimed] = await claimRow.execute({ tokenHash, now });
        if (!claimed) return { refused: "unclaimed" };
        const [owner] = await selectOwner.execute({ userId: claimed.userId });
        if (!owner?.active || owner.disabled) return { refused: "owner", familyId: claimed.familyId };
        return insert(claimed.userId, claimed.familyId, context, tx);
      });
      if (!("refused" in outcome)) return outcome;
      if (outcome.refused === "owner") {
        await revokeFamily(outcome.familyId);
        throw new CoreError("invalid_refresh_token");
      }
      const row = await findByToken(refreshToken);
      if (row?.rotatedAt != null && row.revokedAt === null && now - row.rotatedAt > graceMs) {
        logger.warn("refresh token reuse detected; revoking its session family", { user: row.userId, family: row.familyId });
        await revokeFamily(row.familyId);
      }
      throw new CoreError("invalid_refresh_token");
    },

    /** The user and session of a live (unrotated, unrevoked, unexpired) refresh token, or null. */
    async live(refreshToken: string): Promise<{ userId: string; familyId: string } | null> {
      const row = await findByToken(refreshToken);
      const live = row && row.rotatedAt === null && row.revokedAt === null && row.expiresAt > clock.now();
      return live ? { userId: row.userId, familyId: row.familyId } : null;
    },

    /** Whether a session (family) still has a live refresh token: access tokens of ended sessions are refused where that matters. */
    async isLive(familyId: string): Promise<boolean> {
      const [row] = await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(and(eq(sessions.familyId, familyId), isNull(sessions.rotatedAt), isNull(sessions.revokedAt), gt(sessions.expiresAt, clock.now())))
        .limit(1);
      return row !== undefined;
    },

    /** Ends a session by its id (family). */
    endSession: revokeFamily,

    /** Ends the session a token belongs to (its whole family). Unknown tokens are ignored. */
    async revoke(refreshToken: string): Promise<void> {
      const row = await findByToken(refreshToken);
      if (row) await revokeFamily(row.familyId);
    },

    /** Ends every session of a user; `exceptSession` (a family id) stays. */
    async revokeAllForUser(userId: string, options: { exceptSession?: string | null } = {}): Promise<void> {
      const keptFamily = options.exceptSession ?? null;
      await db
        .update(sessions)
        .set({ revokedAt: clock.now() })
        .where(
          and(
            eq(sessions.userId, userId),
            isNull(sessions.revokedAt),
            keptFamily === null ? undefined : ne(sessions.familyId, keptFamily),
          ),
        );
    },

    /** The user a refresh token belongs to, for logout with `all`. */
    async ownerOf(refreshToken: string): Promise<string | null> {
      return (await findByToken(refreshToken))?.userId ?? null;
    },
  };
}
