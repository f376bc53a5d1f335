// Listing accounts page by page, for server-to-server and admin APIs (Faroe's GET /users).
import { asc, desc } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { UserRow } from "../db/schema.ts";

export type UserSortKey = "created_at" | "email" | "id";
export type SortOrder = "ascending" | "descending";

export interface UserPage {
  sortBy: UserSortKey;
  order: SortOrder;
  /** Users per page, at least 1. */
  count: number;
  /** 1-based. */
  page: number;
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;

export function createUserDirectory(deps: { db: Database }) {
  const { db } = deps;
  const { users } = db.tables;
  const columns = { created_at: users.createdAt, email: users.email, id: users.id } as const;

  return {
    /** One page (LIMIT/OFFSET); ties broken by id so pages neither overlap nor skip. An empty page past the end. */
    async list(query: UserPage): Promise<UserRow[]> {
      const offset = query.count * (query.page - 1);
      if (!Number.isSafeInteger(offset)) return [];
      const direction = query.order === "descending" ? desc : asc;
      const order = [direction(columns[query.sortBy])];
      if (query.sortBy !== "id") order.push(direction(users.id));
      return db
        .select()
        .from(users)
        .orderBy(...order)
        .limit(query.count)
        .offset(offset);
    },
  };
}
