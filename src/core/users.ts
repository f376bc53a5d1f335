// Accounts: creation with roles and custom fields, password sign-in, activation state, deletion.
import { and, eq, getTableColumns, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import type { UserRow } from "../db/schema.ts";
import { refusalError, refusalOf } from "./caller-gate.ts";
import type { Clock } from "../lib/clock.ts";
import type { Random } from "../lib/random.ts";
import { CoreError } from "./errors.ts";
import type { OwnedData } from "./owned-data.ts";
import type { PasswordHasher } from "./passwords.ts";
import type { AcceptedPassword, RegisteredBy, RegistrationPolicy } from "./registration-policy.ts";

/** A user with the roles that go into their tokens. */
export interface User extends UserRow {
  roles: string[];
}

export interface RegisterInput {
  email: string;
  /** null: a password-less account (magic link). */
  password: string | null;
  /** Values for REGISTRATION_CUSTOM_FIELDS; other keys are refused. */
  customFields?: Record<string, unknown>;
  allowedRoles?: string[];
  defaultRole?: string;
  /** The user whose invitation (lncrawl referral token) this is. */
  referrerId?: string;
  /** Default: the email (HBP). */
  displayName?: string;
  /** A unique login name (WolfPal); compared case-insensitively. */
  username?: string;
}

/** Columns a custom field may fill directly; any other allowed field is kept in `metadata`. */
const COLUMN_FIELDS = { display_name: "displayName", avatar_url: "avatarUrl" } as const;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

export type Users = ReturnType<typeof createUsers>;

export function createUsers(deps: {
  db: Database;
  clock: Clock;
  random: Random;
  passwords: PasswordHasher;
  auth: Config["auth"];
  registration: RegistrationPolicy;
  ownedData: OwnedData;
}) {
  const { db, clock, random, passwords, registration, ownedData } = deps;
  const policy = deps.auth;
  const { userRoles, users } = db.tables;

  // The lookups every signed-in request makes, compiled once as db.lookup()s (drizzle otherwise rebuilds the SQL of
  // each query: most of an authenticated read). No LIMIT: the columns are unique, and drizzle binds a LIMIT as a
  // parameter, which makes bun:sqlite's lookup over twice as slow. The roles come with the row, as a JSON array in
  // one column that its decoder parses: one statement instead of two (each statement also pays its row mapping).
  const roles = (
    db.engine === "sqlite"
      ? sql`(SELECT json_group_array(role) FROM (SELECT ${userRoles.role} AS role FROM ${userRoles} WHERE ${userRoles.userId} = ${users.id} ORDER BY 1))`
      : sql`(SELECT coalesce(json_agg(${userRoles.role} ORDER BY ${userRoles.role}), '[]')::text FROM ${userRoles} WHERE ${userRoles.userId} = ${users.id})`
  ).mapWith((json: string): string[] => JSON.parse(json));
  const userBy = (column: SQLiteColumn) =>
    db.lookup(db.select({ ...getTableColumns(users), roles }).from(users).where(eq(column, sql.placeholder("key"))));
  const selectById = userBy(users.id);
  const selectByEmail = userBy(users.email);
  const selectByUsername = userBy(users.username);

  function resolveRoles(input: RegisterInput): { roles: string[]; defaultRole: string } {
    const roles = input.allowedRoles ?? policy.defaultAllowedUserRoles;
    const defaultRole = input.defaultRole ?? policy.defaultUserRole;
    if (!roles.every((role) => policy.allowedUserRoles.includes(role))) throw new CoreError("role_not_allowed");
    if (!roles.includes(defaultRole)) throw new CoreError("default_role_not_allowed");
    return { roles: [...new Set(roles)], defaultRole };
  }

  function splitCustomFields(fields: Record<string, unknown>): {
    columns: Partial<Record<(typeof COLUMN_FIELDS)[keyof typeof COLUMN_FIELDS], string>>;
    metadata: Record<string, unknown>;
  } {
    const columns: Partial<Record<"displayName" | "avatarUrl", string>> = {};
    const metadata: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) {
      if (!policy.registrationCustomFields.includes(key)) throw new CoreError("custom_field_not_allowed", key);
      if (key in COLUMN_FIELDS) columns[COLUMN_FIELDS[key as keyof typeof COLUMN_FIELDS]] = String(value);
      else metadata[key] = value;
    }
    return { columns, metadata };
  }

  return {
    /**
     * A new password, by the registration policy (core/registration-policy.ts): `password_too_short`,
     * `password_too_long`, `password_breached`. Check it before using up what authorises the change (a ticket).
     */
    checkPassword: (password: string): Promise<AcceptedPassword> => registration.checkPassword(password),

    async findById(id: string): Promise<User | null> {
      return selectById(id);
    },

    async findByUsername(username: string): Promise<User | null> {
      return selectByUsername(normaliseUsername(username));
    },

    /** An address, or (without an @) a username such as lncrawl's `admin`. */
    async findByLogin(identifier: string): Promise<User | null> {
      return identifier.includes("@") ? this.findByEmail(identifier) : this.findByUsername(identifier);
    },

    async setDisplayName(userId: string, displayName: string): Promise<void> {
      await db.update(users).set({ displayName, updatedAt: clock.now() }).where(eq(users.id, userId));
    },

    async markEmailVerified(userId: string): Promise<void> {
      await db.update(users).set({ emailVerified: true, updatedAt: clock.now() }).where(eq(users.id, userId));
    },

    async findByEmail(email: string): Promise<User | null> {
      return selectByEmail(normaliseEmail(email));
    },

    /**
     * Creates an account under the registration policy (`registration_closed`, `email_domain_not_allowed`, the
     * password rules); `active` decides whether it can sign in before activation.
     */
    async register(input: RegisterInput, options: { active: boolean; registeredBy: RegisteredBy }): Promise<User> {
      registration.assertOpen(options.registeredBy);
      const email = normaliseEmail(input.email);
      registration.checkEmail(email);
      if (input.password !== null) await registration.checkPassword(input.password);
      const { roles, defaultRole } = resolveRoles(input);
      const { columns, metadata } = splitCustomFields(input.customFields ?? {});

      const existing = await this.findByEmail(email);
      if (existing) throw new CoreError(existing.active ? "email_taken" : "email_taken_inactive");
      if (input.username !== undefined && (await this.findByUsername(input.username))) throw new CoreError("username_taken");

      const now = clock.now();
      const row = {
        id: random.uuid(),
        email,
        username: input.username === undefined ? null : normaliseUsername(input.username),
        displayName: columns.displayName ?? input.displayName ?? email,
        avatarUrl: columns.avatarUrl ?? null,
        passwordHash: input.password === null ? null : await passwords.hash(input.password),
        active: options.active,
        defaultRole,
        referrerId: input.referrerId ?? null,
        metadata,
        createdAt: now,
        updatedAt: now,
      };
      try {
        await db.transaction(async (tx) => {
          await tx.insert(users).values(row);
          await tx.insert(userRoles).values(roles.map((role) => ({ userId: row.id, role })));
        });
      } catch (error) {
        // Two registrations of one address racing: the unique index decides; answer as if we had seen it.
        if (isUniqueViolation(error, "users", "email")) throw new CoreError("email_taken");
        if (isUniqueViolation(error, "users", "username")) throw new CoreError("username_taken");
        throw error;
      }
      return (await this.findById(row.id))!;
    },

    /**
     * Checks an email and password. Unknown email, password-less account and wrong password all fail the
     * same way and take the same time (a dummy hash check), so sign-in does not reveal which accounts exist.
     * Account state is reported only after the password is proven.
     */
    async authenticate(login: string, password: string): Promise<User> {
      const user = await this.findByLogin(login);
      if (!user || user.passwordHash === null) {
        await passwords.verifyDummy(password);
        throw new CoreError("invalid_credentials");
      }
      if (!(await passwords.verify(password, user.passwordHash))) throw new CoreError("invalid_credentials");
      if (passwords.needsRehash(user.passwordHash)) {
        // bcrypt from an HBP import, or argon2 parameters changed in the config: upgrade while we hold the password.
        const passwordHash = await passwords.hash(password);
        await db.update(users).set({ passwordHash, updatedAt: clock.now() }).where(eq(users.id, user.id));
      }
      assertCanSignIn(user);
      return user;
    },

    /**
     * Makes sure the administrator account exists, is active and has `password` (re-hashed at every start, as
     * lncrawl does, so changing ADMIN_PASSWORD takes effect on restart). `login` is an address or a username.
     */
    /** `generated`: the password is latchkey's own random one (passwords.hashRandom), not a person's. */
    async upsertAdmin(login: string, password: string, options: { generated?: boolean } = {}): Promise<{ user: User; created: boolean }> {
      const passwordHash = options.generated ? await passwords.hashRandom(password) : await passwords.hash(password);
      const now = clock.now();
      const existing = await this.findByLogin(login);
      if (existing) {
        await db
          .update(users)
          .set({ passwordHash, active: true, disabled: false, defaultRole: "admin", tier: 2, updatedAt: now })
          .where(eq(users.id, existing.id));
        await db.insert(userRoles).values({ userId: existing.id, role: "admin" }).onConflictDoNothing();
        return { user: (await this.findById(existing.id))!, created: false };
      }
      const byEmail = login.includes("@");
      const row = {
        id: random.uuid(),
        email: byEmail ? normaliseEmail(login) : null,
        username: byEmail ? null : normaliseUsername(login),
        displayName: "Server Admin",
        passwordHash,
        active: true,
        emailVerified: byEmail,
        defaultRole: "admin",
        tier: 2,
        metadata: {},
        createdAt: now,
        updatedAt: now,
      };
      await db.transaction(async (tx) => {
        await tx.insert(users).values(row);
        await tx.insert(userRoles).values(["user", "admin"].map((role) => ({ userId: row.id, role })));
      });
      return { user: (await this.findById(row.id))!, created: true };
    },

    /** An account with no email or password, in DEFAULT_ANONYMOUS_ROLE (ANONYMOUS_USERS_ENABLED); a sign-up like any other. */
    async createAnonymous(): Promise<User> {
      registration.assertOpen("self");
      const now = clock.now();
      const row = {
        id: random.uuid(),
        email: null,
        displayName: "Anonymous user",
        active: true,
        isAnonymous: true,
        defaultRole: policy.defaultAnonymousRole,
        metadata: {},
        createdAt: now,
        updatedAt: now,
      };
      await db.transaction(async (tx) => {
        await tx.insert(users).values(row);
        await tx.insert(userRoles).values({ userId: row.id, role: policy.defaultAnonymousRole });
      });
      return (await this.findById(row.id))!;
    },

    /**
     * Changes a password, proving the current one (accounts without a password skip that, as in HBP). The new one
     * is checked first, as HBP's schema does: a refused password costs no hash and is no guess at the current one.
     */
    async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<void> {
      const accepted = await registration.checkPassword(newPassword);
      const user = await this.findById(userId);
      if (!user) throw new CoreError("user_not_found");
      if (user.passwordHash !== null && !(await passwords.verify(currentPassword, user.passwordHash))) {
        throw new CoreError("incorrect_current_password");
      }
      await this.setPassword(userId, accepted);
    },

    async setPassword(userId: string, newPassword: AcceptedPassword): Promise<void> {
      const passwordHash = await passwords.hash(newPassword);
      await db.update(users).set({ passwordHash, updatedAt: clock.now() }).where(eq(users.id, userId));
    },

    /** Sets a new (already verified or directly allowed) address; `email_unavailable` when another account has it. */
    async setEmail(userId: string, newEmail: string): Promise<void> {
      const email = normaliseEmail(newEmail);
      registration.checkEmail(email);
      const holder = await this.findByEmail(email);
      if (holder && holder.id !== userId) throw new CoreError("email_unavailable");
      try {
        await db.update(users).set({ email, updatedAt: clock.now() }).where(eq(users.id, userId));
      } catch (error) {
        if (isUniqueViolation(error, "users", "email")) throw new CoreError("email_unavailable");
        throw error;
      }
    },

    /** Throws `email_unavailable` unless the address could be given to `userId`. */
    async assertEmailAvailable(userId: string, newEmail: string): Promise<void> {
      const email = normaliseEmail(newEmail);
      registration.checkEmail(email);
      const holder = await this.findByEmail(email);
      if (holder && holder.id !== userId) throw new CoreError("email_unavailable");
    },

    /** Every account, oldest first (the operator's `latchkey user list`). */
    async list(): Promise<UserRow[]> {
      return db.select().from(users).orderBy(users.createdAt);
    },

    /** Bans or un-bans an account. A disabled account gets nothing from any dialect (users.assertCanSignIn). */
    async setDisabled(userId: string, disabled: boolean): Promise<void> {
      await db.update(users).set({ disabled, updatedAt: clock.now() }).where(eq(users.id, userId));
    },

    /** Activates an inactive account; false when it was already active or does not exist. */
    async activate(userId: string): Promise<boolean> {
      const updated = await db
        .update(users)
        .set({ active: true, emailVerified: true, updatedAt: clock.now() })
        .where(and(eq(users.id, userId), eq(users.active, false)))
        .returning({ id: users.id });
      return updated.length > 0;
    },

    /**
     * Deletes an account with everything it owns: its files (ownedData), then its row, with which its sessions, codes,
     * tokens and second factors go (foreign keys cascade); referrals are cleared. False if there is none.
     *
     * The order: the account is disabled first, so from then on the caller gate refuses every credential of it on every
     * instance and it can start nothing new; its files go next, each row before its bytes (a crash in between leaves
     * bytes nobody refers to, never a row without bytes); the row goes last, so a crash before it leaves a disabled
     * account that the same deletion, run again, finishes. An upload of its own already past the gate fails on the
     * files' foreign key once the row is gone and leaves nothing either (storage.upload).
     */
    async delete(userId: string): Promise<boolean> {
      const found = await db.update(users).set({ disabled: true, updatedAt: clock.now() }).where(eq(users.id, userId)).returning({ id: users.id });
      if (found.length === 0) return false;
      await ownedData.removeAllOf(userId);
      await db.update(users).set({ referrerId: null }).where(eq(users.referrerId, userId));
      const deleted = await db.delete(users).where(eq(users.id, userId)).returning({ id: users.id });
      return deleted.length > 0;
    },
  };
}

/** The one rule every dialect applies before handing out a session: the caller gate's (core/caller-gate.ts). */
export function assertCanSignIn(user: Pick<UserRow, "active" | "disabled">): void {
  const refusal = refusalOf(user);
  if (refusal !== null) throw refusalError(refusal);
}
