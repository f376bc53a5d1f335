// Users' TOTP credentials (core/second-factors/totp.ts): one per user. Every password sign-in asks whether the user
// has one, so that read is a lookup by the primary key (db.lookup), compiled once.
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../database.ts";

/** A credential as stored. */
export interface StoredTotpCredential {
  userId: string;
  /** Base32: the secret is needed to compute codes, so it cannot be kept as a digest (schema.ts says so). */
  secret: string;
  /** False while a generated secret waits for a code that proves the user's app has it. */
  enabled: boolean;
  /** The 30 s step of the last code accepted, or null. */
  lastUsedStep: number | null;
  createdAt: number;
}

export interface TotpRepository {
  /** The user's credential, enabled or not, or null. */
  ofUser(userId: string): Promise<StoredTotpCredential | null>;
  /** Which of these users have an enabled credential (one query, for lists). */
  enabledAmong(userIds: string[]): Promise<Set<string>>;
  /**
   * Stores a secret that is not in force yet, replacing the user's credential (whose `createdAt` stays, if it had
   * one) and forgetting its last used step.
   */
  savePending(credential: { userId: string; secret: string; createdAt: number }): Promise<void>;
  /** Stores a credential in force at once, replacing the user's whole credential. */
  saveEnabled(credential: { userId: string; secret: string; lastUsedStep: number; createdAt: number }): Promise<void>;
  /** Puts the user's stored secret in force. */
  enable(userId: string): Promise<void>;
  /**
   * Records `step` as the last one used, unless that step or a later one was: true when this call got it. One
   * conditional UPDATE, so of two requests with one code, on any instances, only one gets it (replay protection).
   */
  claimStep(userId: string, step: number): Promise<boolean>;
  /** Deletes the user's credential; false when there was none. */
  remove(userId: string): Promise<boolean>;
}

export function createTotpRepository(db: Database): TotpRepository {
  const { totpCredentials } = db.tables;
  // The primary key, so no LIMIT (a bound LIMIT is slow in bun:sqlite).
  const ofUser = db.lookup(db.select().from(totpCredentials).where(eq(totpCredentials.userId, sql.placeholder("key"))));

  return {
    ofUser,

    async enabledAmong(userIds) {
      if (userIds.length === 0) return new Set();
      const rows = await db
        .select({ userId: totpCredentials.userId })
        .from(totpCredentials)
        .where(and(inArray(totpCredentials.userId, userIds), eq(totpCredentials.enabled, true)));
      return new Set(rows.map((row) => row.userId));
    },

    async savePending({ userId, secret, createdAt }) {
      await db
        .insert(totpCredentials)
        .values({ userId, secret, enabled: false, lastUsedStep: null, createdAt })
        .onConflictDoUpdate({ target: totpCredentials.userId, set: { secret, enabled: false, lastUsedStep: null } });
    },

    async saveEnabled({ userId, ...credential }) {
      const values = { ...credential, enabled: true };
      await db
        .insert(totpCredentials)
        .values({ userId, ...values })
        .onConflictDoUpdate({ target: totpCredentials.userId, set: values });
    },

    async enable(userId) {
      await db.update(totpCredentials).set({ enabled: true }).where(eq(totpCredentials.userId, userId));
    },

    async claimStep(userId, step) {
      const claimed = await db
        .update(totpCredentials)
        .set({ lastUsedStep: step })
        .where(and(eq(totpCredentials.userId, userId), or(isNull(totpCredentials.lastUsedStep), lt(totpCredentials.lastUsedStep, step))))
        .returning({ userId: totpCredentials.userId });
      return claimed.length > 0;
    },

    async remove(userId) {
      const deleted = await db.delete(totpCredentials).where(eq(totpCredentials.userId, userId)).returning({ userId: totpCredentials.userId });
      return deleted.length > 0;
    },
  };
}
