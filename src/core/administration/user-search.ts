// The console's user search: by address or username prefix, by id, by role, or every account, a page at a time,
// fast on millions of accounts (db/repositories/user-search.ts says how each search uses its index).
import type { FoundUser, SearchCursor, UserQuery, UserSearchRepository } from "../../db/repositories/user-search.ts";
import { isUuid } from "../../lib/ids.ts";
import { CoreError } from "../errors.ts";
import { decodeCursor, encodeCursor } from "./cursors.ts";

export type { FoundUser } from "../../db/repositories/user-search.ts";

export interface UserSearchInput {
  /** An id (exact), or the start of an address or username (any case); empty: every account, newest first. */
  q: string;
  /** Only accounts with this role; null: any. */
  role: string | null;
  /** The `next` of the page before; null: the first page. */
  after: string | null;
  limit: number;
}

export interface UserSearch {
  /** `invalid_cursor` for an `after` this search did not hand out (or handed out for another query). */
  search(input: UserSearchInput): Promise<{ users: FoundUser[]; next: string | null }>;
}

/** The query a search box's text asks for. */
export function queryOf(q: string, role: string | null): UserQuery {
  const text = q.trim().toLowerCase();
  if (text === "") return { kind: "all", role };
  if (isUuid(text)) return { kind: "id", id: text, role };
  return { kind: "prefix", prefix: text, role };
}

/** The cursor kinds each query pages with; anything else was made for another query. */
function cursorFits(query: UserQuery, cursor: SearchCursor): boolean {
  if (query.kind === "prefix") return cursor.kind === "email" || cursor.kind === "username";
  if (query.kind === "all") return cursor.kind === (query.role === null ? "created" : "role");
  return false;
}

function isSearchCursor(value: Record<string, unknown>): value is Record<string, unknown> & SearchCursor {
  const text = (field: unknown) => typeof field === "string" && field.length <= 320;
  const keys = Object.keys(value).length;
  switch (value.kind) {
    case "created":
      return Number.isSafeInteger(value.at) && text(value.id) && keys === 3;
    case "role":
      return text(value.id) && keys === 2;
    case "email":
      return text(value.after) && keys === 2;
    case "username":
      return (text(value.after) || value.after === null) && keys === 2;
    default:
      return false;
  }
}

export function createUserSearch(deps: { search: UserSearchRepository }): UserSearch {
  return {
    async search(input) {
      const query = queryOf(input.q, input.role);
      const cursor = input.after === null ? null : decodeCursor<SearchCursor>(input.after, isSearchCursor);
      if (cursor !== null && !cursorFits(query, cursor)) throw new CoreError("invalid_cursor");
      const { users, next } = await deps.search.search(query, cursor, input.limit);
      return { users, next: next === null ? null : encodeCursor(next) };
    },
  };
}
