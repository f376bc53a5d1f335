// Challenges (core/challenges/): every code or link handed to a user, one table told apart by `purpose`. A ticket is
// found by its digest and used up by one conditional DELETE; a request is found by its id, and tries at it run one at
// a time (a lock held across instances). Finishing a request and what it grants happen in one transaction.
import { and, eq, gt, inArray, sql, type SQL } from "drizzle-orm";
import type { Database } from "../database.ts";

/** A challenge as stored. */
export interface StoredChallenge {
  id: string;
  /** Null for a flow that starts before anyone is known (an OAuth state, a passkey sign-in without an address). */
  userId: string | null;
  purpose: string;
  /** SHA-256 of a ticket, or argon2id of a code a person types; null where `code` is kept instead. */
  secretHash: string | null;
  /** The code as it is, only for a purpose whose API shows it again. */
  code: string | null;
  /** The address the challenge proves, for a purpose that proves one by its own request. */
  email: string | null;
  data: Record<string, unknown>;
  /** Wrong codes tried so far. */
  attempts: number;
  expiresAt: number;
  createdAt: number;
}

export type NewChallenge = Omit<StoredChallenge, "attempts">;

export interface ChallengesRepository {
  /** Stores a challenge, with no attempts yet. */
  insert(challenge: NewChallenge): Promise<void>;
  /** Deletes the user's challenges of `purpose`. */
  removeOfUser(userId: string, purpose: string): Promise<void>;
  /** The user's challenges of `purpose`, live or not. */
  ofUser(userId: string, purpose: string): Promise<StoredChallenge[]>;
  /** The challenge of `purpose` with this id, live or not, or null. */
  byId(purpose: string, id: string): Promise<StoredChallenge | null>;
  /** The challenge of `purpose` with this secret digest that is live at `now`, or null. */
  liveBySecret(purpose: string, secretHash: string, now: number): Promise<StoredChallenge | null>;
  /**
   * Deletes and answers the challenge of `purpose` with this secret digest that is live at `now`: one conditional
   * DELETE ... RETURNING, so a ticket is used once, even by two requests at the same moment on any instances.
   */
  consumeBySecret(purpose: string, secretHash: string, now: number): Promise<StoredChallenge | null>;
  /** Replaces the data of the live challenge with this digest; false when there is none. */
  replaceDataBySecret(purpose: string, secretHash: string, data: Record<string, unknown>, now: number): Promise<boolean>;
  /** Merges `data` into the challenge's data (fields not named stay) and sets `attempts` when given. */
  update(id: string, changes: { data?: Record<string, unknown>; attempts?: number }): Promise<void>;
  /** Adds one wrong try. */
  countAttempt(id: string): Promise<void>;
  /** Deletes the challenge of `purpose` with this id (and this user's, when given); false when there was none. */
  remove(purpose: string, id: string, options?: { userId?: string }): Promise<boolean>;
  /** Deletes the challenges with these ids (expired ones, or ones a newer challenge supersedes). */
  removeIds(ids: string[]): Promise<void>;
  /** Runs `action` as the only one at this challenge, on every instance: tries at it wait in line. */
  exclusively<T>(id: string, action: () => Promise<T>): Promise<T>;
  /**
   * In one transaction: deletes the challenge (false, and nothing else, when it was gone), sets the user's address
   * to `email`, verified (and active when `active`), and deletes the user's challenges of `endsForUser` and every
   * challenge of the claimed one's purpose for the same address. Throws the unique violation when another account
   * has the address.
   */
  claimForAddress(claim: { id: string; userId: string; email: string; active: boolean; now: number; endsForUser: string[] }): Promise<boolean>;
  /**
   * In one transaction: deletes the challenge (false, and nothing else, when it was gone) and the user's other
   * challenges of its purpose, and sets the user's password hash, address verified (and active when `active`).
   */
  claimForPassword(claim: { id: string; userId: string; purpose: string; passwordHash: string; active: boolean; now: number }): Promise<boolean>;
}

export function createChallengesRepository(db: Database): ChallengesRepository {
  const { challenges, users } = db.tables;
  const ofPurpose = (purpose: string, id: string) => and(eq(challenges.purpose, purpose), eq(challenges.id, id));
  const liveSecret = (purpose: string, secretHash: string, now: number) =>
    and(eq(challenges.purpose, purpose), eq(challenges.secretHash, secretHash), gt(challenges.expiresAt, now));

  /** The data with `patch` merged in, by the engine's own JSON function, so two merges never undo each other. */
  function merged(patch: Record<string, unknown>): SQL {
    const json = JSON.stringify(patch);
    // Through text: a string bound straight to jsonb would be taken as a JSON string, not as the object it spells.
    return db.engine === "postgres" ? sql`${challenges.data} || (${json}::text)::jsonb` : sql`json_patch(${challenges.data}, ${json})`;
  }

  return {
    async insert(challenge) {
      await db.insert(challenges).values({ ...challenge, attempts: 0 });
    },

    async removeOfUser(userId, purpose) {
      await db.delete(challenges).where(and(eq(challenges.userId, userId), eq(challenges.purpose, purpose)));
    },

    async ofUser(userId, purpose) {
      return db.select().from(challenges).where(and(eq(challenges.userId, userId), eq(challenges.purpose, purpose)));
    },

    async byId(purpose, id) {
      const [row] = await db.select().from(challenges).where(ofPurpose(purpose, id)).limit(1);
      return row ?? null;
    },

    async liveBySecret(purpose, secretHash, now) {
      const [row] = await db.select().from(challenges).where(liveSecret(purpose, secretHash, now)).limit(1);
      return row ?? null;
    },

    async consumeBySecret(purpose, secretHash, now) {
      const [row] = await db.delete(challenges).where(liveSecret(purpose, secretHash, now)).returning();
      return row ?? null;
    },

    async replaceDataBySecret(purpose, secretHash, data, now) {
      const updated = await db.update(challenges).set({ data }).where(liveSecret(purpose, secretHash, now)).returning({ id: challenges.id });
      return updated.length > 0;
    },

    async update(id, changes) {
      const set = {
        ...(changes.data ? { data: merged(changes.data) } : {}),
        ...(changes.attempts === undefined ? {} : { attempts: changes.attempts }),
      };
      if (Object.keys(set).length > 0) await db.update(challenges).set(set).where(eq(challenges.id, id));
    },

    async countAttempt(id) {
      await db
        .update(challenges)
        .set({ attempts: sql`${challenges.attempts} + 1` })
        .where(eq(challenges.id, id));
    },

    async remove(purpose, id, options = {}) {
      const owner = options.userId === undefined ? undefined : eq(challenges.userId, options.userId);
      const deleted = await db.delete(challenges).where(and(ofPurpose(purpose, id), owner)).returning({ id: challenges.id });
      return deleted.length > 0;
    },

    async removeIds(ids) {
      if (ids.length > 0) await db.delete(challenges).where(inArray(challenges.id, ids));
    },

    exclusively(id, action) {
      return db.withLock(`challenge:${id}`, action);
    },

    async claimForAddress({ id, userId, email, active, now, endsForUser }) {
      return db.transaction(async (tx) => {
        const [claimed] = await tx.delete(challenges).where(eq(challenges.id, id)).returning({ purpose: challenges.purpose });
        if (!claimed) return false;
        await tx.update(users).set({ email, emailVerified: true, active, updatedAt: now }).where(eq(users.id, userId));
        if (endsForUser.length > 0) {
          await tx.delete(challenges).where(and(eq(challenges.userId, userId), inArray(challenges.purpose, endsForUser)));
        }
        await tx.delete(challenges).where(and(eq(challenges.purpose, claimed.purpose), eq(challenges.email, email)));
        return true;
      });
    },

    async claimForPassword({ id, userId, purpose, passwordHash, active, now }) {
      return db.transaction(async (tx) => {
        const claimed = await tx.delete(challenges).where(ofPurpose(purpose, id)).returning({ id: challenges.id });
        if (claimed.length === 0) return false;
        await tx.delete(challenges).where(and(eq(challenges.userId, userId), eq(challenges.purpose, purpose)));
        await tx.update(users).set({ passwordHash, emailVerified: true, active, updatedAt: now }).where(eq(users.id, userId));
        return true;
      });
    },
  };
}
