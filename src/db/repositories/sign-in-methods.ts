// How many ways an account has to sign in (core/accounts/sign-in-methods.ts): its password, its provider identities
// and its passkeys, read in one query so a removal can refuse to take the last one.
import { count, eq, sql } from "drizzle-orm";
import type { Database } from "../database.ts";

/** An account's ways to sign in, by kind. */
export interface StoredSignInMethods {
  password: boolean;
  identities: number;
  passkeys: number;
}

export interface SignInMethodsRepository {
  /** The account's ways to sign in; all none for an unknown account. */
  ofUser(userId: string): Promise<StoredSignInMethods>;
  /** Runs `action` holding the account's sign-in-methods lock (one process or several: Database.withLock). */
  exclusively<T>(userId: string, action: () => Promise<T>): Promise<T>;
}

export function createSignInMethodsRepository(db: Database): SignInMethodsRepository {
  const { users, userIdentities, webauthnCredentials } = db.tables;
  return {
    async ofUser(userId) {
      const identities = db.select({ n: count() }).from(userIdentities).where(eq(userIdentities.userId, userId));
      const passkeys = db.select({ n: count() }).from(webauthnCredentials).where(eq(webauthnCredentials.userId, userId));
      const [row] = await db
        .select({
          password: sql<number>`case when ${users.passwordHash} is null then 0 else 1 end`,
          identities: sql<number>`(${identities})`,
          passkeys: sql<number>`(${passkeys})`,
        })
        .from(users)
        .where(eq(users.id, userId));
      if (!row) return { password: false, identities: 0, passkeys: 0 };
      return { password: Number(row.password) === 1, identities: Number(row.identities), passkeys: Number(row.passkeys) };
    },

    exclusively(userId, action) {
      return db.withLock(`sign-in-methods:${userId}`, action);
    },
  };
}
