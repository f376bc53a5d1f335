// Accounts: creation with roles and custom fields, activation state, changes, deletion. Whether a password is an
// account's is password-check.ts's question.
import type { Config } from "../../config.ts";
import type { StoredAccount, StoredSessionUser, StoredUser, UsersRepository } from "../../db/repositories/users.ts";
import { refusalError, refusalOf } from "./caller-gate.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Random } from "../../lib/random.ts";
import { CoreError } from "../errors.ts";
import type { OwnedData } from "./owned-data.ts";
import { ADMIN_ROLE } from "./admin-role.ts";
import type { PasswordHasher } from "../passwords/passwords.ts";
import type { AcceptedPassword, RegisteredBy, RegistrationPolicy } from "./registration-policy.ts";

/** An account as core sees it: its row (db/repositories/users.ts says what each field holds). */
export type Account = StoredAccount;

/** A user with the roles that go into their tokens (sorted). */
export type User = StoredUser;

/**
 * What a session's tokens and answers use of a user: the access token's claims, HBP's user, the caller gate's rule. A
 * refresh reads only this of its session's owner (db/repositories/users.ts says why); any User is one.
 */
export type SessionUser = StoredSessionUser;

export interface RegisterInput {
  /**
   * The account's id, chosen before it exists: a passkey sign-up hands it to the authenticator as the user handle
   * before the account is made (core/sign-in/passkey-sign-in.ts). Default: a new uuid.
   */
  id?: string;
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
  /** A picture's URL (a provider's profile); REGISTRATION_CUSTOM_FIELDS' `avatar_url` wins over it. */
  avatarUrl?: string | null;
}

/** Columns a custom field may fill directly; any other allowed field is kept in `metadata`. */
const COLUMN_FIELDS = { display_name: "displayName", avatar_url: "avatarUrl" } as const;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** Accounts: registration under the policy, the reads by id, address and login name, and the changes to an account. */
export interface Users {
  /**
   * A new password, by the registration policy (core/accounts/registration-policy.ts): `password_too_short`,
   * `password_too_long`, `password_breached`. Check it before using up what authorises the change (a ticket).
   */
  checkPassword(password: string): Promise<AcceptedPassword>;
  /** The account and its roles, or null: the caller gate's one read per signed-in request. */
  findById(id: string): Promise<User | null>;
  /** The account without its roles, or null: the caller gate's read for a dialect that uses no roles. */
  findAccountById(id: string): Promise<Account | null>;
  /** Only whether the account is active and disabled, or null: the caller gate's read when the row is not needed. */
  findStateById(id: string): Promise<Pick<User, "active" | "disabled"> | null>;
  /** Compared case-insensitively. */
  findByEmail(email: string): Promise<User | null>;
  /** Compared case-insensitively. */
  findByUsername(username: string): Promise<User | null>;
  /** An address, or (without an @) a username such as lncrawl's `admin`. */
  findByLogin(identifier: string): Promise<User | null>;
  setDisplayName(userId: string, displayName: string): Promise<void>;
  markEmailVerified(userId: string): Promise<void>;
  /**
   * Creates an account under the registration policy (`registration_closed`, `email_domain_not_allowed`, the
   * password rules); `active` decides whether it can sign in before activation. `email_taken` (or
   * `email_taken_inactive`), `username_taken`, also when two registrations race.
   */
  register(input: RegisterInput, options: { active: boolean; registeredBy: RegisteredBy; emailVerified?: boolean }): Promise<User>;
  /**
   * The refusals `register` would give now, without making anything (and without the password rules: give
   * `password: null`): for a sign-up in two steps, which should refuse at the first (a passkey's).
   */
  assertCanRegister(input: RegisterInput, options: { registeredBy: RegisteredBy }): Promise<void>;
  /**
   * Makes sure the administrator account exists, is active and has `password` (re-hashed at every start, as
   * lncrawl does, so changing ADMIN_PASSWORD takes effect on restart). `login` is an address or a username.
   * `generated`: the password is latchkey's own random one (passwords.hashRandom), not a person's.
   */
  upsertAdmin(login: string, password: string, options?: { generated?: boolean }): Promise<{ user: User; created: boolean }>;
  /** An account with no email or password, in DEFAULT_ANONYMOUS_ROLE (ANONYMOUS_USERS_ENABLED); a sign-up like any other. */
  createAnonymous(): Promise<User>;
  /**
   * Changes a password, proving the current one (accounts without a password skip that, as in HBP):
   * `incorrect_current_password`, the policy's codes. The new one is checked first, as HBP's schema does: a refused
   * password costs no hash and is no guess at the current one.
   */
  changePassword(userId: string, currentPassword: string, newPassword: string): Promise<void>;
  setPassword(userId: string, newPassword: AcceptedPassword): Promise<void>;
  /**
   * Re-hashes a password just proven right when its hash is an imported bcrypt one or has older argon2 parameters:
   * the only moment latchkey holds the password.
   */
  upgradePasswordHash(user: Pick<User, "id" | "passwordHash">, password: string): Promise<void>;
  /** Sets a new (already verified or directly allowed) address; `email_unavailable` when another account has it. */
  setEmail(userId: string, newEmail: string): Promise<void>;
  /** Throws `email_unavailable` unless the address could be given to `userId`. */
  assertEmailAvailable(userId: string, newEmail: string): Promise<void>;
  /** Every account, oldest first (the operator's `latchkey user list`). */
  list(): Promise<Account[]>;
  /**
   * Gives an account a role (the operator's `latchkey user roles`, the console); it must be one of ALLOWED_USER_ROLES
   * (`role_not_allowed`), or `admin` (admin-role.ts: only the operator grants it, so it needs no listing there). False
   * when the account had it already. Tokens issued from now on carry it.
   */
  addRole(userId: string, role: string): Promise<boolean>;
  /** `role_not_allowed` unless addRole would take `role`. */
  assertRoleAllowed(role: string): void;
  /**
   * Takes a role from an account; its default role stays (`default_role_not_allowed`: every token names it). False
   * when the account did not have it.
   */
  removeRole(user: Pick<User, "id" | "defaultRole">, role: string): Promise<boolean>;
  /** Bans or un-bans an account. A disabled account gets nothing from any dialect (assertCanSignIn). */
  setDisabled(userId: string, disabled: boolean): Promise<void>;
  /** Activates an inactive account; false when it was already active or does not exist. */
  activate(userId: string): Promise<boolean>;
  /**
   * Deletes an account with everything it owns: its files (ownedData), then its row, with which its sessions, codes,
   * tokens and second factors go; referrals are cleared. False if there is none.
   */
  delete(userId: string): Promise<boolean>;
}

export function createUsers(deps: {
  accounts: UsersRepository;
  clock: Clock;
  random: Random;
  passwords: PasswordHasher;
  auth: Config["auth"];
  registration: RegistrationPolicy;
  ownedData: OwnedData;
}): Users {
  const { accounts, clock, random, passwords, registration, ownedData } = deps;
  const policy = deps.auth;

  function resolveRoles(input: RegisterInput, registeredBy: RegisteredBy): { roles: string[]; defaultRole: string } {
    const roles = input.allowedRoles ?? policy.defaultAllowedUserRoles;
    const defaultRole = input.defaultRole ?? policy.defaultUserRole;
    const refused = roles.find((role) => !policy.allowedUserRoles.includes(role));
    if (refused !== undefined) throw new CoreError("role_not_allowed", refused);
    if (!roles.includes(defaultRole)) throw new CoreError("default_role_not_allowed");
    // Whoever signs themselves up never asks for the console's role (admin-role.ts), even where ALLOWED_USER_ROLES lists it.
    if (registeredBy === "self" && (input.allowedRoles?.includes(ADMIN_ROLE) || input.defaultRole === ADMIN_ROLE)) {
      throw new CoreError("role_not_allowed", ADMIN_ROLE);
    }
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

  async function emailHolder(newEmail: string): Promise<User | null> {
    const email = normaliseEmail(newEmail);
    registration.checkEmail(email);
    return accounts.byEmail(email);
  }

  /** What register checks before it writes, in its order, and what it makes of the input. */
  async function admissible(input: RegisterInput, options: { registeredBy: RegisteredBy }) {
    registration.assertOpen(options.registeredBy);
    const email = normaliseEmail(input.email);
    registration.checkEmail(email);
    if (input.password !== null) await registration.checkPassword(input.password);
    const { roles, defaultRole } = resolveRoles(input, options.registeredBy);
    const { columns, metadata } = splitCustomFields(input.customFields ?? {});

    const existing = await accounts.byEmail(email);
    if (existing) throw new CoreError(existing.active ? "email_taken" : "email_taken_inactive");
    if (input.username !== undefined && (await users.findByUsername(input.username))) throw new CoreError("username_taken");
    return { email, roles, defaultRole, columns, metadata };
  }

  const users: Users = {
    checkPassword: (password) => registration.checkPassword(password),

    // The repository's compiled lookup itself: the caller gate's read on every signed-in request.
    findById: accounts.byId,
    findAccountById: accounts.accountById,
    findStateById: accounts.stateById,
    findByUsername: (username) => accounts.byUsername(normaliseUsername(username)),
    findByEmail: (email) => accounts.byEmail(normaliseEmail(email)),
    findByLogin: (identifier) => (identifier.includes("@") ? users.findByEmail(identifier) : users.findByUsername(identifier)),

    setDisplayName: (userId, displayName) => accounts.setDisplayName(userId, displayName, clock.now()),
    markEmailVerified: (userId) => accounts.markEmailVerified(userId, clock.now()),

    async assertCanRegister(input, options) {
      await admissible(input, options);
    },

    async register(input, options) {
      const { email, roles, defaultRole, columns, metadata } = await admissible(input, options);
      const now = clock.now();
      const id = input.id ?? random.uuid();
      const { taken } = await accounts.insert(
        {
          id,
          email,
          username: input.username === undefined ? null : normaliseUsername(input.username),
          displayName: columns.displayName ?? input.displayName ?? email,
          avatarUrl: columns.avatarUrl ?? input.avatarUrl ?? null,
          passwordHash: input.password === null ? null : await passwords.hash(input.password),
          active: options.active,
          // Only where something proved the address (a provider that verified it); every other sign-up proves it later.
          emailVerified: options.emailVerified ?? false,
          defaultRole,
          referrerId: input.referrerId ?? null,
          metadata,
          createdAt: now,
          updatedAt: now,
        },
        roles,
      );
      // Two registrations of one address racing: the unique index decides; answer as if we had seen it.
      if (taken !== null) throw new CoreError(taken === "email" ? "email_taken" : "username_taken");
      return (await accounts.byId(id))!;
    },

    async upsertAdmin(login, password, options = {}) {
      const passwordHash = options.generated ? await passwords.hashRandom(password) : await passwords.hash(password);
      const now = clock.now();
      const existing = await users.findByLogin(login);
      if (existing) {
        await accounts.makeAdmin(existing.id, passwordHash, now);
        return { user: (await accounts.byId(existing.id))!, created: false };
      }
      const byEmail = login.includes("@");
      const id = random.uuid();
      const { taken } = await accounts.insert(
        {
          id,
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
        },
        ["user", "admin"],
      );
      if (taken !== null) throw new CoreError(taken === "email" ? "email_taken" : "username_taken");
      return { user: (await accounts.byId(id))!, created: true };
    },

    async createAnonymous() {
      registration.assertOpen("self");
      const now = clock.now();
      const id = random.uuid();
      await accounts.insert(
        {
          id,
          email: null,
          displayName: "Anonymous user",
          active: true,
          isAnonymous: true,
          defaultRole: policy.defaultAnonymousRole,
          metadata: {},
          createdAt: now,
          updatedAt: now,
        },
        [policy.defaultAnonymousRole],
      );
      return (await accounts.byId(id))!;
    },

    async changePassword(userId, currentPassword, newPassword) {
      const accepted = await registration.checkPassword(newPassword);
      const user = await accounts.byId(userId);
      if (!user) throw new CoreError("user_not_found");
      if (user.passwordHash !== null && !(await passwords.verify(currentPassword, user.passwordHash))) {
        throw new CoreError("incorrect_current_password");
      }
      await users.setPassword(userId, accepted);
    },

    async setPassword(userId, newPassword) {
      await accounts.setPasswordHash(userId, await passwords.hash(newPassword), clock.now());
    },

    async upgradePasswordHash(user, password) {
      if (user.passwordHash === null || !passwords.needsRehash(user.passwordHash)) return;
      await accounts.setPasswordHash(user.id, await passwords.hash(password), clock.now());
    },

    async setEmail(userId, newEmail) {
      const holder = await emailHolder(newEmail);
      if (holder && holder.id !== userId) throw new CoreError("email_unavailable");
      if (!(await accounts.setEmail(userId, normaliseEmail(newEmail), clock.now()))) throw new CoreError("email_unavailable");
    },

    async assertEmailAvailable(userId, newEmail) {
      const holder = await emailHolder(newEmail);
      if (holder && holder.id !== userId) throw new CoreError("email_unavailable");
    },

    list: () => accounts.list(),

    assertRoleAllowed(role) {
      if (role !== ADMIN_ROLE && !policy.allowedUserRoles.includes(role)) throw new CoreError("role_not_allowed", role);
    },

    async addRole(userId, role) {
      users.assertRoleAllowed(role);
      return accounts.addRole(userId, role, clock.now());
    },

    async removeRole(user, role) {
      if (role === user.defaultRole) throw new CoreError("default_role_not_allowed", role);
      return accounts.removeRole(user.id, role, clock.now());
    },

    setDisabled: (userId, disabled) => accounts.setDisabled(userId, disabled, clock.now()),
    activate: (userId) => accounts.activate(userId, clock.now()),

    /*
     * The order: the account is disabled first, so from then on the caller gate refuses every credential of it on every
     * instance and it can start nothing new; its files go next, each row before its bytes (a crash in between leaves
     * bytes nobody refers to, never a row without bytes); the row goes last, so a crash before it leaves a disabled
     * account that the same deletion, run again, finishes. An upload of its own already past the gate fails on the
     * files' foreign key once the row is gone and leaves nothing either (storage.upload).
     */
    async delete(userId) {
      if (!(await accounts.disableForDeletion(userId, clock.now()))) return false;
      await ownedData.removeAllOf(userId);
      return accounts.remove(userId);
    },
  };
  return users;
}

/** The one rule every dialect applies before handing out a session: the caller gate's (core/accounts/caller-gate.ts). */
export function assertCanSignIn(user: Pick<Account, "active" | "disabled">): void {
  const refusal = refusalOf(user);
  if (refusal !== null) throw refusalError(refusal);
}
