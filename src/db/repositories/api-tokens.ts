// lncrawl's API tokens (core/sessions/api-tokens.ts): stored as they are (their owner lists them again), one row each.
import { desc, eq } from "drizzle-orm";
import type { Database } from "../database.ts";

/** A token as stored. */
export interface StoredApiToken {
  token: string;
  userId: string;
  expiresAt: number;
  createdAt: number;
}

export interface ApiTokensRepository {
  /** The user's tokens, the one expiring last first. */
  ofUser(userId: string): Promise<StoredApiToken[]>;
  /** The user's token expiring last, or null. */
  newestOf(userId: string): Promise<StoredApiToken | null>;
  /** Stores the token; null, with nothing written, when that token already exists. */
  insert(token: StoredApiToken): Promise<StoredApiToken | null>;
  /** A token with its owner's state (one read), or null when there is no such token. */
  withOwner(token: string): Promise<{ userId: string; expiresAt: number; active: boolean; disabled: boolean } | null>;
}

export function createApiTokensRepository(db: Database): ApiTokensRepository {
  const { apiTokens, users } = db.tables;
  const ofUser = (userId: string) => db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.expiresAt));

  return {
    ofUser,

    async newestOf(userId) {
      const [newest] = await ofUser(userId).limit(1);
      return newest ?? null;
    },

    async insert(token) {
      const [created] = await db.insert(apiTokens).values(token).onConflictDoNothing().returning();
      return created ?? null;
    },

    async withOwner(token) {
      const [row] = await db
        .select({ userId: apiTokens.userId, expiresAt: apiTokens.expiresAt, active: users.active, disabled: users.disabled })
        .from(apiTokens)
        .innerJoin(users, eq(users.id, apiTokens.userId))
        .where(eq(apiTokens.token, token))
        .limit(1);
      return row ?? null;
    },
  };
}
