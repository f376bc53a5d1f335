// Recovery codes of every kind (core/second-factors/recovery-codes.ts), one table told apart by `purpose`: a user's
// codes of one kind are replaced together, listed, spent one at a time.
import { and, eq } from "drizzle-orm";
import type { Database } from "../database.ts";

/** One code to store. */
export interface NewRecoveryCode {
  id: string;
  /** How the code is found and spent (the kind's digest of it). */
  codeHash: string;
  /** The code as it is, for a kind an API shows again; null keeps the digest only. */
  code: string | null;
}

export interface RecoveryCodesRepository {
  /** Replaces the user's codes of `purpose` by `codes`, in one transaction: never none and never both sets. */
  replace(userId: string, purpose: string, codes: NewRecoveryCode[], createdAt: number): Promise<void>;
  /** The user's codes of `purpose` that are kept as they are, as stored. */
  codesOf(userId: string, purpose: string): Promise<string[]>;
  /**
   * Deletes the code with this digest: true once per code, even for two requests at the same moment, on any
   * instances (one conditional DELETE).
   */
  spend(userId: string, purpose: string, codeHash: string): Promise<boolean>;
  /** Deletes the user's codes of `purpose`. */
  removeAll(userId: string, purpose: string): Promise<void>;
}

export function createRecoveryCodesRepository(db: Database): RecoveryCodesRepository {
  const { recoveryCodes } = db.tables;
  const ofKind = (userId: string, purpose: string) => and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.purpose, purpose));

  return {
    async replace(userId, purpose, codes, createdAt) {
      await db.transaction(async (tx) => {
        await tx.delete(recoveryCodes).where(ofKind(userId, purpose));
        if (codes.length > 0) await tx.insert(recoveryCodes).values(codes.map((code) => ({ ...code, userId, purpose, createdAt })));
      });
    },

    async codesOf(userId, purpose) {
      const rows = await db.select({ code: recoveryCodes.code }).from(recoveryCodes).where(ofKind(userId, purpose));
      return rows.flatMap((row) => (row.code === null ? [] : [row.code]));
    },

    async spend(userId, purpose, codeHash) {
      const spent = await db
        .delete(recoveryCodes)
        .where(and(ofKind(userId, purpose), eq(recoveryCodes.codeHash, codeHash)))
        .returning({ id: recoveryCodes.id });
      return spent.length > 0;
    },

    async removeAll(userId, purpose) {
      await db.delete(recoveryCodes).where(ofKind(userId, purpose));
    },
  };
}
