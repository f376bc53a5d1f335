// The console's search of accounts (core/administration/user-search.ts), made to stay fast on millions of them: every
// query walks one index in its order and stops after a page (keyset paging: the next page starts after the last row
// of this one, never at an OFFSET). bench/tools/console-user-search.ts measures them on 1,000,000 accounts and
// test/console-user-search-plan.test.ts checks SQLite's query plans.
//
//   every account   users_created_idx (created_at, id), newest first
//   by role         user_roles_role_idx (role, user_id), in id order
//   by prefix       users_email_unique, then users_username_unique: the range [prefix, prefix with its last character
//                   incremented), so the index finds the first match and the scan ends after the last
//   by id           the primary key
//
// Prefixes are compared as the engine orders text: bytewise on SQLite, and on PostgreSQL too, whatever the database's
// default collation, because users.email and users.username are COLLATE "C" there (migration 0008;
// test/postgres-collation.test.ts runs on a database whose default collation weighs letters before punctuation).
import { and, asc, desc, eq, gt, gte, isNull, lt, ne, or, sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../database.ts";

/** An account as a search result lists it. */
export interface FoundUser {
  id: string;
  email: string | null;
  username: string | null;
  displayName: string | null;
  active: boolean;
  disabled: boolean;
  isAnonymous: boolean;
  defaultRole: string;
  createdAt: number;
  roles: string[];
}

/** Where the previous page ended, for each kind of search. */
export type SearchCursor =
  | { kind: "created"; at: number; id: string }
  | { kind: "role"; id: string }
  | { kind: "email"; after: string }
  /** `after` null: the first username page, when the addresses filled the page before exactly. */
  | { kind: "username"; after: string | null };

export type UserQuery =
  | { kind: "all"; role: string | null }
  | { kind: "id"; id: string; role: string | null }
  | { kind: "prefix"; prefix: string; role: string | null };

export interface UserSearchRepository {
  /** Up to `limit` accounts of `query` after `cursor`, and the cursor of the next page (null: this was the last). */
  search(query: UserQuery, cursor: SearchCursor | null, limit: number): Promise<{ users: FoundUser[]; next: SearchCursor | null }>;
}

/** The first string after every string that starts with `prefix`: its last code point incremented. */
export function prefixEnd(prefix: string): string {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    // U+10FFFF has no successor; drop it and increment the one before. Surrogates are not characters: skip them.
    if (last < 0x10ffff) return points.join("") + String.fromCodePoint(last + 1 === 0xd800 ? 0xe000 : last + 1);
  }
  return "\u{10FFFF}";
}

export function createUserSearchRepository(db: Database) {
  const { users, userRoles } = db.tables;
  const roles = (
    db.engine === "sqlite"
      ? sql`(SELECT json_group_array(role) FROM (SELECT ${userRoles.role} AS role FROM ${userRoles} WHERE ${userRoles.userId} = ${users.id} ORDER BY 1))`
      : sql`(SELECT coalesce(json_agg(${userRoles.role} ORDER BY ${userRoles.role}), '[]')::text FROM ${userRoles} WHERE ${userRoles.userId} = ${users.id})`
  ).mapWith((json: string): string[] => JSON.parse(json));
  const columns = {
    id: users.id,
    email: users.email,
    username: users.username,
    displayName: users.displayName,
    active: users.active,
    disabled: users.disabled,
    isAnonymous: users.isAnonymous,
    defaultRole: users.defaultRole,
    createdAt: users.createdAt,
    roles,
  };
  /** The account has the role: one probe of user_roles' primary key. */
  const hasRole = (role: string | null): SQL | undefined =>
    role === null
      ? undefined
      : sql`exists (select 1 from ${userRoles} where ${userRoles.userId} = ${users.id} and ${userRoles.role} = ${role})`;
  /**
   * Values of `column` that start with `prefix`, after `after` (a value that did, where the page before ended): one
   * lower bound only, so the index range starts at the cursor (with both, SQLite starts at the prefix and filters).
   */
  const startsWith = (column: SQLiteColumn, prefix: string, after: string | null): SQL =>
    and(
      after === null ? gte(column, prefix) : gt(column, after),
      lt(column, prefixEnd(prefix)),
      sql`substr(${column}, 1, ${[...prefix].length}) = ${prefix}`,
    )!;

  /** The queries, built but not run: the plan test and the bench read their SQL. */
  const queries = {
    newestFirst: (role: string | null, cursor: { at: number; id: string } | null, limit: number) =>
      db
        .select(columns)
        .from(users)
        .where(and(cursor === null ? undefined : sql`(${users.createdAt}, ${users.id}) < (${cursor.at}, ${cursor.id})`, hasRole(role)))
        .orderBy(desc(users.createdAt), desc(users.id))
        .limit(limit),
    byRole: (role: string, afterId: string | null, limit: number) =>
      db
        .select(columns)
        .from(userRoles)
        .innerJoin(users, eq(users.id, userRoles.userId))
        .where(and(eq(userRoles.role, role), afterId === null ? undefined : gt(userRoles.userId, afterId)))
        .orderBy(asc(userRoles.userId))
        .limit(limit),
    byEmailPrefix: (prefix: string, role: string | null, after: string | null, limit: number) =>
      db
        .select(columns)
        .from(users)
        .where(and(startsWith(users.email, prefix, after), hasRole(role)))
        .orderBy(asc(users.email))
        .limit(limit),
    /** Accounts whose username starts with the prefix and whose address does not (those came in the email phase). */
    byUsernamePrefix: (prefix: string, role: string | null, after: string | null, limit: number) =>
      db
        .select(columns)
        .from(users)
        .where(
          and(
            startsWith(users.username, prefix, after),
            or(isNull(users.email), ne(sql`substr(${users.email}, 1, ${[...prefix].length})`, prefix)),
            hasRole(role),
          ),
        )
        .orderBy(asc(users.username))
        .limit(limit),
    byId: (id: string, role: string | null) =>
      db
        .select(columns)
        .from(users)
        .where(and(eq(users.id, id), hasRole(role))),
  };

  const repository: UserSearchRepository = {
    async search(query, cursor, limit) {
      // One row more than the page: whether there is a next page, without counting.
      const more = limit + 1;
      if (query.kind === "id") return { users: await queries.byId(query.id, query.role), next: null };
      if (query.kind === "all" && query.role !== null) {
        const rows = await queries.byRole(query.role, cursor?.kind === "role" ? cursor.id : null, more);
        const page = rows.slice(0, limit);
        return { users: page, next: rows.length > limit ? { kind: "role", id: page[page.length - 1]!.id } : null };
      }
      if (query.kind === "all") {
        const rows = await queries.newestFirst(null, cursor?.kind === "created" ? cursor : null, more);
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return { users: page, next: rows.length > limit && last ? { kind: "created", at: last.createdAt, id: last.id } : null };
      }
      // A prefix: the addresses that start with it, then the usernames.
      const found: FoundUser[] = [];
      if (cursor === null || cursor.kind === "email") {
        const rows = await queries.byEmailPrefix(query.prefix, query.role, cursor?.kind === "email" ? cursor.after : null, more);
        if (rows.length > limit) {
          const page = rows.slice(0, limit);
          return { users: page, next: { kind: "email", after: page[page.length - 1]!.email! } };
        }
        found.push(...rows);
      }
      const room = limit - found.length;
      const rows = await queries.byUsernamePrefix(query.prefix, query.role, cursor?.kind === "username" ? cursor.after : null, room + 1);
      const page = rows.slice(0, room);
      found.push(...page);
      const last = page[page.length - 1];
      // A full page that ended exactly at the last address: the usernames start the next one.
      if (room === 0) return { users: found, next: rows.length > 0 ? { kind: "username", after: null } : null };
      return { users: found, next: rows.length > room && last ? { kind: "username", after: last.username! } : null };
    },
  };
  return Object.assign(repository, { queries });
}

export type UserSearchQueries = ReturnType<typeof createUserSearchRepository>["queries"];
