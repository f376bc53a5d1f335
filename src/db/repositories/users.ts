// Accounts and their roles (core/accounts/users.ts). Every signed-in request reads its caller's row by id and every login
// reads one by address, so those reads are lookups (db.lookup) compiled once here, with the roles in the same
// statement: a JSON array in one column, parsed by its decoder, so one statement instead of two. No LIMIT: the
// columns are unique, and a bound LIMIT makes bun:sqlite's lookup over twice as slow.
import { and, eq, getTableColumns, type Placeholder, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "../database.ts";
import { isUniqueViolation } from "../errors.ts";
import { rowMapper } from "../lookup.ts";

/** An account's row as stored. */
export interface StoredAccount {
  id: string;
  /** Normalised by core (trimmed, lower case); null for anonymous and username-only accounts. */
  email: string | null;
  /** An address waiting for confirmation by a change-email ticket. */
  newEmail: string | null;
  /** Normalised by core likewise; WolfPal's and lncrawl's login names. */
  username: string | null;
  displayName: string | null;
  avatarUrl: string | null;
  /** argon2id, or an imported bcrypt hash re-hashed at the next sign-in; null for password-less accounts. */
  passwordHash: string | null;
  /** False until activated, when activation is required. */
  active: boolean;
  emailVerified: boolean;
  /** Banned: gets nothing from any dialect (core/accounts/caller-gate.ts). */
  disabled: boolean;
  isAnonymous: boolean;
  defaultRole: string;
  /** lncrawl's tier: 0 basic, 1 premium, 2 VIP. */
  tier: number;
  /** Who invited this user (lncrawl's referral sign-up). */
  referrerId: string | null;
  /** REGISTRATION_CUSTOM_FIELDS values that have no column of their own. */
  metadata: Record<string, unknown>;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

/** An account with its roles, sorted. */
export interface StoredUser extends StoredAccount {
  roles: string[];
}

/** What a new account is stored with; the columns left out take their defaults. */
export type NewAccount = Pick<StoredAccount, "id" | "email" | "displayName" | "defaultRole" | "metadata" | "createdAt" | "updatedAt"> &
  Partial<Pick<StoredAccount, "username" | "avatarUrl" | "passwordHash" | "active" | "emailVerified" | "isAnonymous" | "tier" | "referrerId">>;

/** What the caller gate asks of an account (core/accounts/caller-gate.ts). */
export type AccountState = Pick<StoredAccount, "active" | "disabled">;

/** Which unique column refused a write, when one did. */
export type TakenColumn = "email" | "username";

export interface UsersRepository {
  /** The account with this id and its roles, or null. The caller gate's read on every signed-in request. */
  byId(id: string): Promise<StoredUser | null>;
  /** The account with this id without its roles, or null: the caller gate's read for a dialect that uses no roles (lncrawl). */
  accountById(id: string): Promise<StoredAccount | null>;
  /**
   * Only whether the account is active and whether it is disabled, or null: the caller gate's read for a request that
   * needs no more of the account (its JWT's claims do: storage, HBP's permission variables).
   */
  stateById(id: string): Promise<AccountState | null>;
  /** By the stored (already normalised) address. */
  byEmail(email: string): Promise<StoredUser | null>;
  /** By the stored (already normalised) username. */
  byUsername(username: string): Promise<StoredUser | null>;
  /**
   * Stores the account and its roles in one transaction: both or neither. `taken` when a unique column (an address or
   * username another account has, e.g. two registrations racing) refused it, and nothing was written.
   */
  insert(account: NewAccount, roles: string[]): Promise<{ taken: TakenColumn | null }>;
  /** Gives an existing account the admin role and state (ADMIN_PASSWORD at start-up): active, enabled, tier 2. */
  makeAdmin(userId: string, passwordHash: string, now: number): Promise<void>;
  setPasswordHash(userId: string, passwordHash: string, now: number): Promise<void>;
  /** False, with nothing changed, when another account has the address. */
  setEmail(userId: string, email: string, now: number): Promise<boolean>;
  setDisplayName(userId: string, displayName: string, now: number): Promise<void>;
  setDisabled(userId: string, disabled: boolean, now: number): Promise<void>;
  markEmailVerified(userId: string, now: number): Promise<void>;
  /** Activates (and verifies) an inactive account: true once, false when it was active already or does not exist. */
  activate(userId: string, now: number): Promise<boolean>;
  /** Every account, oldest first, without roles. */
  list(): Promise<StoredAccount[]>;
  /** Gives the account a role; false when it had it already. */
  addRole(userId: string, role: string, now: number): Promise<boolean>;
  /** Takes a role from the account; false when it did not have it. */
  removeRole(userId: string, role: string, now: number): Promise<boolean>;
  /** Disables the account ahead of its deletion; false when there is none. */
  disableForDeletion(userId: string, now: number): Promise<boolean>;
  /**
   * Deletes the account's row, with which its roles, sessions, codes, tokens and second factors go (foreign keys
   * cascade); the accounts it referred lose their referrer. False when there was none.
   */
  remove(userId: string): Promise<boolean>;
}

/** The roles of the account in the row of `users` at hand, sorted, as JSON text (a JSON array inside `sessionUserOf`). */
function rolesJson(db: Database, options: { nested: boolean }): SQL {
  const { userRoles, users } = db.tables;
  if (db.engine === "sqlite") {
    const text = sql`(SELECT json_group_array(role) FROM (SELECT ${userRoles.role} AS role FROM ${userRoles} WHERE ${userRoles.userId} = ${users.id} ORDER BY 1))`;
    // json(): the array itself inside json_array, not a string holding it.
    return options.nested ? sql`json(${text})` : text;
  }
  const array = sql`(SELECT coalesce(json_agg(${userRoles.role} ORDER BY ${userRoles.role}), '[]'::json) FROM ${userRoles} WHERE ${userRoles.userId} = ${users.id})`;
  return options.nested ? array : sql`${array}::text`;
}

/**
 * What a session's owner is read for at each refresh: the caller gate's rule (`active`, `disabled`), the access token's
 * claims (the roles, the default role and the columns a custom claim may name: core/sessions/access-tokens.ts's
 * USER_COLUMNS, else `metadata`) and HBP's user in the answer. Not the password hash, the pending address, the tier and
 * the rest: each column read is a value SQLite writes into the JSON and JS parses and keeps (bench/README.md, "Refresh").
 */
export type StoredSessionUser = Pick<
  StoredUser,
  "id" | "email" | "displayName" | "avatarUrl" | "active" | "disabled" | "isAnonymous" | "defaultRole" | "metadata" | "createdAt" | "roles"
>;

/**
 * The session user (above) whose id is `userId` (a column of the statement it is put in: a session's owner), with its
 * roles, read by that statement itself: one scalar subquery making one JSON array of the columns and the roles, decoded
 * as a lookup decodes them (booleans, JSON, epoch milliseconds), or null when there is no such account. A refresh reads
 * its session's owner in the rotation's own statement so (repositories/sessions.ts): one statement instead of the
 * rotation and then a lookup.
 */
export function sessionUserOf(db: Database, userId: SQLiteColumn): SQL<StoredSessionUser | null> {
  const { users } = db.tables;
  const { id, email, displayName, avatarUrl, active, disabled, isAnonymous, defaultRole, metadata, createdAt } = users;
  const read = { id, email, displayName, avatarUrl, active, disabled, isAnonymous, defaultRole, metadata, createdAt };
  const columns = Object.values(read);
  const toUser = rowMapper<StoredSessionUser>(read);
  const values = sql.join([...columns.map((column) => sql`${column}`), rolesJson(db, { nested: true })], sql`, `);
  const array = db.engine === "sqlite" ? sql`json_array(${values})` : sql`json_build_array(${values})::text`;
  // Nested in an outer sql`` so that its columns keep their tables' names: drizzle writes the top-level columns of a
  // RETURNING's expression bare, and a bare "id" or "user_id" in the subquery would name the wrong table's column.
  const subquery = sql`SELECT ${array} FROM ${users} WHERE ${users.id} = ${userId}`;
  return sql`(${subquery})`.mapWith((json: unknown): StoredSessionUser => {
    const fields = (typeof json === "string" ? JSON.parse(json) : json) as unknown[];
    const user = toUser(fields);
    user.roles = fields[columns.length] as string[];
    return user;
  });
}

/** Each account state by its code in accountStateOf (active + 2 * disabled), made once: a read allocates none. */
const ACCOUNT_STATES: readonly AccountState[] = [
  Object.freeze({ active: false, disabled: false }),
  Object.freeze({ active: true, disabled: false }),
  Object.freeze({ active: false, disabled: true }),
  Object.freeze({ active: true, disabled: true }),
];

/**
 * The state of the account whose id is `userId` (a placeholder or a column of the statement it is put in), read by
 * that statement itself: one scalar subquery on the primary key, null when there is no such account. A storage read
 * gets its caller's state with the file's row so (repositories/files.ts): one statement instead of two. Both flags
 * in one number (active + 2 * disabled), decoded to what `stateById` answers.
 */
export function accountStateOf(db: Database, userId: Placeholder | SQLiteColumn): SQL<AccountState | null> {
  const { users } = db.tables;
  const code =
    db.engine === "sqlite"
      ? sql`${users.active} + 2 * ${users.disabled}`
      : sql`cast(${users.active} as integer) + 2 * cast(${users.disabled} as integer)`;
  // Nested in an outer sql`` so that its columns keep their table's name (as sessionUserOf says).
  const subquery = sql`SELECT ${code} FROM ${users} WHERE ${users.id} = ${userId}`;
  return sql`(${subquery})`.mapWith((value: unknown): AccountState => ACCOUNT_STATES[Number(value)]!);
}

/**
 * An account's state by its id, compiled once (`stateById`; storage's read of a missing file uses it too). Two columns
 * instead of the row and its roles: bun:sqlite makes a JS value of every column read (the whole row cost a storage
 * read ~2x the statement itself; bench/README.md, "Hot path").
 */
export function accountStateLookup(db: Database): (id: string) => Promise<AccountState | null> {
  const { users } = db.tables;
  return db.lookup(db.select({ active: users.active, disabled: users.disabled }).from(users).where(eq(users.id, sql.placeholder("key"))));
}

export function createUsersRepository(db: Database): UsersRepository {
  const { userRoles, users } = db.tables;
  const roles = rolesJson(db, { nested: false }).mapWith((json: string): string[] => JSON.parse(json));
  const userBy = (column: SQLiteColumn) =>
    db.lookup(db.select({ ...getTableColumns(users), roles }).from(users).where(eq(column, sql.placeholder("key"))));
  const byId = userBy(users.id);
  // The roles' subquery (and its JSON) was about a third of the row's read: left out where nothing reads them.
  const accountById = db.lookup(db.select(getTableColumns(users)).from(users).where(eq(users.id, sql.placeholder("key"))));
  const byEmail = userBy(users.email);
  const byUsername = userBy(users.username);
  const stateById = accountStateLookup(db);

  const set = async (userId: string, values: Partial<typeof users.$inferInsert>): Promise<void> => {
    await db.update(users).set(values).where(eq(users.id, userId));
  };

  return {
    byId,
    accountById,
    stateById,
    byEmail,
    byUsername,

    async insert(account, accountRoles) {
      try {
        await db.transaction(async (tx) => {
          await tx.insert(users).values(account);
          if (accountRoles.length > 0) await tx.insert(userRoles).values(accountRoles.map((role) => ({ userId: account.id, role })));
        });
        return { taken: null };
      } catch (error) {
        if (isUniqueViolation(error, "users", "email")) return { taken: "email" };
        if (isUniqueViolation(error, "users", "username")) return { taken: "username" };
        throw error;
      }
    },

    async makeAdmin(userId, passwordHash, now) {
      await set(userId, { passwordHash, active: true, disabled: false, defaultRole: "admin", tier: 2, updatedAt: now });
      await db.insert(userRoles).values({ userId, role: "admin" }).onConflictDoNothing();
    },

    setPasswordHash: (userId, passwordHash, now) => set(userId, { passwordHash, updatedAt: now }),

    async setEmail(userId, email, now) {
      try {
        await set(userId, { email, updatedAt: now });
        return true;
      } catch (error) {
        if (isUniqueViolation(error, "users", "email")) return false;
        throw error;
      }
    },

    setDisplayName: (userId, displayName, now) => set(userId, { displayName, updatedAt: now }),
    setDisabled: (userId, disabled, now) => set(userId, { disabled, updatedAt: now }),
    markEmailVerified: (userId, now) => set(userId, { emailVerified: true, updatedAt: now }),

    async activate(userId, now) {
      const updated = await db
        .update(users)
        .set({ active: true, emailVerified: true, updatedAt: now })
        .where(and(eq(users.id, userId), eq(users.active, false)))
        .returning({ id: users.id });
      return updated.length > 0;
    },

    list: () => db.select().from(users).orderBy(users.createdAt),

    async addRole(userId, role, now) {
      const added = await db.insert(userRoles).values({ userId, role }).onConflictDoNothing().returning({ role: userRoles.role });
      if (added.length > 0) await set(userId, { updatedAt: now });
      return added.length > 0;
    },

    async removeRole(userId, role, now) {
      const removed = await db
        .delete(userRoles)
        .where(and(eq(userRoles.userId, userId), eq(userRoles.role, role)))
        .returning({ role: userRoles.role });
      if (removed.length > 0) await set(userId, { updatedAt: now });
      return removed.length > 0;
    },

    async disableForDeletion(userId, now) {
      const found = await db.update(users).set({ disabled: true, updatedAt: now }).where(eq(users.id, userId)).returning({ id: users.id });
      return found.length > 0;
    },

    async remove(userId) {
      await db.update(users).set({ referrerId: null }).where(eq(users.referrerId, userId));
      const deleted = await db.delete(users).where(eq(users.id, userId)).returning({ id: users.id });
      return deleted.length > 0;
    },
  };
}
