// What the console shows of one account beyond its row (core/administration/account-details.ts), read-only and
// without anything that grants access: provider identities without their tokens, passkeys without their keys, API
// tokens without the token, recovery codes as counts.
import { asc, count, desc, eq, sql } from "drizzle-orm";
import type { Database } from "../database.ts";

export interface StoredIdentitySummary {
  id: string;
  provider: string;
  subject: string;
  email: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface StoredPasskeySummary {
  id: string;
  nickname: string | null;
  deviceType: string;
  backedUp: boolean;
  transports: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

export interface StoredApiTokenSummary {
  createdAt: number;
  expiresAt: number;
}

export interface AccountDetailsRepository {
  identitiesOf(userId: string): Promise<StoredIdentitySummary[]>;
  passkeysOf(userId: string): Promise<StoredPasskeySummary[]>;
  /** The account's API tokens, the one expiring last first: when each was made and expires, never the token. */
  apiTokensOf(userId: string): Promise<StoredApiTokenSummary[]>;
  /** How many recovery codes of each kind (`backup-code`, `recovery-code`) the account has. */
  recoveryCodeCounts(userId: string): Promise<Record<string, number>>;
  /** How many files the account owns and their total size (by the owner index). */
  filesOwned(userId: string): Promise<{ count: number; bytes: number }>;
}

export function createAccountDetailsRepository(db: Database): AccountDetailsRepository {
  const { userIdentities, webauthnCredentials, apiTokens, recoveryCodes, files } = db.tables;
  return {
    identitiesOf: (userId) =>
      db
        .select({
          id: userIdentities.id,
          provider: userIdentities.provider,
          subject: userIdentities.subject,
          email: userIdentities.email,
          createdAt: userIdentities.createdAt,
          lastUsedAt: userIdentities.lastUsedAt,
        })
        .from(userIdentities)
        .where(eq(userIdentities.userId, userId))
        .orderBy(asc(userIdentities.createdAt)),

    passkeysOf: (userId) =>
      db
        .select({
          id: webauthnCredentials.id,
          nickname: webauthnCredentials.nickname,
          deviceType: webauthnCredentials.deviceType,
          backedUp: webauthnCredentials.backedUp,
          transports: webauthnCredentials.transports,
          createdAt: webauthnCredentials.createdAt,
          lastUsedAt: webauthnCredentials.lastUsedAt,
        })
        .from(webauthnCredentials)
        .where(eq(webauthnCredentials.userId, userId))
        .orderBy(asc(webauthnCredentials.createdAt)),

    apiTokensOf: (userId) =>
      db
        .select({ createdAt: apiTokens.createdAt, expiresAt: apiTokens.expiresAt })
        .from(apiTokens)
        .where(eq(apiTokens.userId, userId))
        .orderBy(desc(apiTokens.expiresAt)),

    async recoveryCodeCounts(userId) {
      const rows = await db
        .select({ purpose: recoveryCodes.purpose, count: count() })
        .from(recoveryCodes)
        .where(eq(recoveryCodes.userId, userId))
        .groupBy(recoveryCodes.purpose);
      return Object.fromEntries(rows.map((row) => [row.purpose, Number(row.count)]));
    },

    async filesOwned(userId) {
      const [row] = await db
        .select({ count: count(), bytes: sql<number>`coalesce(sum(${files.size}), 0)` })
        .from(files)
        .where(eq(files.ownerId, userId));
      return { count: Number(row?.count ?? 0), bytes: Number(row?.bytes ?? 0) };
    },
  };
}
