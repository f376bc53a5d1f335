// Listing accounts page by page, for server-to-server and admin APIs (Faroe's GET /users).
import type { SortOrder, UserDirectoryRepository, UserSortKey } from "../../db/repositories/user-directory.ts";
import type { Account } from "./users.ts";

export type { SortOrder, UserSortKey };

export interface UserPage {
  sortBy: UserSortKey;
  order: SortOrder;
  /** Users per page, at least 1. */
  count: number;
  /** 1-based. */
  page: number;
}

export interface UserDirectory {
  /** One page; ties broken by id so pages neither overlap nor skip. An empty page past the end. */
  list(query: UserPage): Promise<Account[]>;
}

export function createUserDirectory(deps: { directory: UserDirectoryRepository }): UserDirectory {
  const { directory } = deps;
  return {
    async list(query) {
      const offset = query.count * (query.page - 1);
      // A page number so large its offset is not exact is past any end.
      if (!Number.isSafeInteger(offset)) return [];
      return directory.page({ sortBy: query.sortBy, order: query.order, limit: query.count, offset });
    },
  };
}
