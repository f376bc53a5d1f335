// Accounts page by page (core/accounts/user-directory.ts: Faroe's GET /users).
import { asc, desc } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { StoredAccount } from "./users.ts";

export type UserSortKey = "created_at" | "email" | "id";
export type SortOrder = "ascending" | "descending";

export interface UserDirectoryRepository {
  /**
   * `limit` accounts from `offset` in the order asked, ties broken by id so pages neither overlap nor skip (LIMIT and
   * OFFSET); none past the end.
   */
  page(query: { sortBy: UserSortKey; order: SortOrder; limit: number; offset: number }): Promise<StoredAccount[]>;
}

export function createUserDirectoryRepository(db: Database): UserDirectoryRepository {
  const { users } = db.tables;
  const columns = { created_at: users.createdAt, email: users.email, id: users.id } as const;

  return {
    page({ sortBy, order, limit, offset }) {
      const direction = order === "descending" ? desc : asc;
      const orderBy = [direction(columns[sortBy])];
      if (sortBy !== "id") orderBy.push(direction(users.id));
      return db
        .select()
        .from(users)
        .orderBy(...orderBy)
        .limit(limit)
        .offset(offset);
    },
  };
}
