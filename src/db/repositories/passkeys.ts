// Users' passkeys (WebAuthn credentials, core/second-factors/passkeys.ts), one row each, found by the credential id
// the authenticator names (unique across every user). The public key cannot sign anything, so it is kept as it is.
import { and, asc, eq, lt, sql } from "drizzle-orm";
import type { Database } from "../database.ts";

/** A passkey as stored. */
export interface StoredPasskey {
  /** The credential id, base64url. */
  id: string;
  userId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter at the last use (0: an authenticator that does not count). */
  counter: number;
  transports: string[];
  /** `singleDevice` or `multiDevice` (synced between a person's devices). */
  deviceType: string;
  backedUp: boolean;
  nickname: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface PasskeysRepository {
  /** Stores a new passkey; false, with nothing written, when its credential id is taken (by anyone). */
  insert(passkey: StoredPasskey): Promise<boolean>;
  /** The passkey with this credential id, or null. */
  byId(id: string): Promise<StoredPasskey | null>;
  /** The user's passkeys, oldest first. */
  ofUser(userId: string): Promise<StoredPasskey[]>;
  /**
   * Records a use: the new counter, backup state and time, only if the counter moved forward (or both old and new
   * are 0: an authenticator that does not count). One conditional UPDATE, so of two uses with the same counter (a
   * cloned authenticator beside the real one), on any instances, only one gets it. False: it did not move forward.
   */
  recordUse(id: string, use: { counter: number; backedUp: boolean; usedAt: number }): Promise<boolean>;
  /** Deletes one of the user's passkeys; false when the user has none with this id. */
  remove(userId: string, id: string): Promise<boolean>;
}

export function createPasskeysRepository(db: Database): PasskeysRepository {
  const { webauthnCredentials: passkeys } = db.tables;
  // The primary key, so no LIMIT (a bound LIMIT is slow in bun:sqlite).
  const byId = db.lookup(db.select().from(passkeys).where(eq(passkeys.id, sql.placeholder("key"))));

  return {
    async insert(passkey) {
      const inserted = await db.insert(passkeys).values(passkey).onConflictDoNothing().returning({ id: passkeys.id });
      return inserted.length > 0;
    },

    byId,

    ofUser(userId) {
      return db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt), asc(passkeys.id));
    },

    async recordUse(id, { counter, backedUp, usedAt }) {
      const movedOn = counter === 0 ? eq(passkeys.counter, 0) : lt(passkeys.counter, counter);
      const updated = await db
        .update(passkeys)
        .set({ counter, backedUp, lastUsedAt: usedAt })
        .where(and(eq(passkeys.id, id), movedOn))
        .returning({ id: passkeys.id });
      return updated.length > 0;
    },

    async remove(userId, id) {
      const deleted = await db.delete(passkeys).where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))).returning({ id: passkeys.id });
      return deleted.length > 0;
    },
  };
}

