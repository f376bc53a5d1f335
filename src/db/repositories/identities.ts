// Provider identities (core/identities/identities.ts): who an account is at GitHub, Google or an OIDC provider, one
// row each, found by (provider, subject) only. The provider's tokens are kept only sealed (lib/token-cipher.ts), and
// only when PROVIDER_KEEP_TOKENS asks for it; core seals them before they get here.
import { and, asc, eq } from "drizzle-orm";
import type { Database } from "../database.ts";
import { isForeignKeyViolation } from "../errors.ts";

/** An identity as stored. */
export interface StoredIdentity {
  id: string;
  userId: string;
  /** The provider's name as in its route (`github`, an OIDC_PROVIDERS name). */
  provider: string;
  /** The provider's stable id of the account. */
  subject: string;
  /** The address the provider gave at the last sign-in; for people to read, never to find the identity by. */
  email: string | null;
  accessTokenEncrypted: string | null;
  refreshTokenEncrypted: string | null;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms of the last sign-in through it; null until then (an identity linked, not yet used). */
  lastUsedAt: number | null;
}

/** What a sign-in through an identity updates. */
export interface IdentityUse {
  email: string | null;
  /** undefined: leave the stored value as it is (the provider sent none this time). */
  accessTokenEncrypted?: string | null;
  refreshTokenEncrypted?: string | null;
  now: number;
}

export interface IdentitiesRepository {
  /** The identity with this provider's subject, or null. */
  bySubject(provider: string, subject: string): Promise<StoredIdentity | null>;
  /** The account's identities, oldest first. */
  ofUser(userId: string): Promise<StoredIdentity[]>;
  /**
   * Stores a new identity. `taken`: another row has this (provider, subject) (two first sign-ins racing), and
   * nothing was written; `no_user`: the account is gone (deleted meanwhile).
   */
  insert(identity: StoredIdentity): Promise<{ refused: "taken" | "no_user" | null }>;
  /** Records a sign-in through the identity: its address, tokens (when given) and last_used_at. */
  recordUse(id: string, use: IdentityUse): Promise<void>;
  /** Deletes one of the account's identities; false when there was none. */
  remove(userId: string, id: string): Promise<boolean>;
}

export function createIdentitiesRepository(db: Database): IdentitiesRepository {
  const { userIdentities } = db.tables;

  return {
    async bySubject(provider, subject) {
      const [row] = await db
        .select()
        .from(userIdentities)
        .where(and(eq(userIdentities.provider, provider), eq(userIdentities.subject, subject)))
        .limit(1);
      return row ?? null;
    },

    ofUser: (userId) => db.select().from(userIdentities).where(eq(userIdentities.userId, userId)).orderBy(asc(userIdentities.createdAt)),

    async insert(identity) {
      try {
        const written = await db.insert(userIdentities).values(identity).onConflictDoNothing().returning({ id: userIdentities.id });
        return { refused: written.length > 0 ? null : "taken" };
      } catch (error) {
        if (isForeignKeyViolation(error)) return { refused: "no_user" };
        throw error;
      }
    },

    async recordUse(id, use) {
      const values: Partial<typeof userIdentities.$inferInsert> = { email: use.email, lastUsedAt: use.now };
      if (use.accessTokenEncrypted !== undefined) values.accessTokenEncrypted = use.accessTokenEncrypted;
      if (use.refreshTokenEncrypted !== undefined) values.refreshTokenEncrypted = use.refreshTokenEncrypted;
      await db.update(userIdentities).set(values).where(eq(userIdentities.id, id));
    },

    async remove(userId, id) {
      const removed = await db
        .delete(userIdentities)
        .where(and(eq(userIdentities.id, id), eq(userIdentities.userId, userId)))
        .returning({ id: userIdentities.id });
      return removed.length > 0;
    },
  };
}
