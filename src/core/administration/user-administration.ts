// What an administrator does to accounts in the console (create, ban, delete, end sessions, remove a second factor,
// a passkey or a provider identity, mail links, set roles), each through the same core service a request or the
// operator's `latchkey user ...` command uses, and each written to the audit log with its target and what changed
// (never a password: a new account's password is the only secret passed in, and it goes only to the hasher).
import { ADMIN_ROLE } from "../accounts/admin-role.ts";
import type { User, Users } from "../accounts/users.ts";
import type { Activation } from "../challenges/activation.ts";
import type { PasswordReset } from "../challenges/password-reset.ts";
import { CoreError } from "../errors.ts";
import type { SecondFactors } from "../second-factors/index.ts";
import type { Passkeys } from "../second-factors/passkeys.ts";
import type { Identities } from "../identities/identities.ts";
import type { Sessions } from "../sessions/sessions.ts";
import type { AccountDetailsReader, OwnedByAccount } from "./account-details.ts";
import type { Actor, AuditLog } from "./audit-log.ts";

export interface NewAccountInput {
  email: string;
  /** null: no password (the account signs in by a magic link, or after a reset mail). */
  password: string | null;
  /** Roles beyond DEFAULT_ALLOWED_USER_ROLES: each one of ALLOWED_USER_ROLES, or `admin`. */
  roles: string[];
}

export interface UserAdministration {
  /** An active account (the registration policy's address and password rules apply; REGISTRATION_ENABLED does not). */
  create(actor: Actor, input: NewAccountInput): Promise<User>;
  /** Bans (and ends every session of) or un-bans an account. `user_not_found`. */
  setDisabled(actor: Actor, userId: string, disabled: boolean): Promise<User>;
  /** Deletes the account with everything it owns; answers what went. `user_not_found`. */
  delete(actor: Actor, userId: string): Promise<OwnedByAccount>;
  /** Ends one live session of the account. `user_not_found`, `session_not_found`. */
  revokeSession(actor: Actor, userId: string, sessionId: string): Promise<void>;
  /** Ends every session of the account; answers how many were live. `user_not_found`. */
  revokeAllSessions(actor: Actor, userId: string): Promise<number>;
  /** Removes TOTP, backup codes and the recovery code (`latchkey user mfa-reset`); true when TOTP was on. */
  removeSecondFactor(actor: Actor, userId: string): Promise<boolean>;
  /**
   * Removes one of the account's passkeys: `passkey_not_found`; `last_sign_in_method` when it is the account's last
   * way to sign in (an administrator disables or deletes such an account instead).
   */
  removePasskey(actor: Actor, userId: string, passkeyId: string): Promise<void>;
  /**
   * Unlinks the account's identity at `provider` (core/identities: its own rules and security event):
   * `identity_not_found`; `last_sign_in_method` when it is the account's last way to sign in.
   */
  unlinkIdentity(actor: Actor, userId: string, provider: string): Promise<void>;
  /** Queues a password-reset mail (sent only to an active, enabled account). `account_has_no_email`, `rate_limited`. */
  sendPasswordReset(actor: Actor, userId: string): Promise<void>;
  /** Queues an activation mail. `account_has_no_email`, `account_already_active`. */
  sendActivation(actor: Actor, userId: string): Promise<void>;
  /**
   * Gives the account exactly these roles: its default role must stay (`default_role_not_allowed`), each added one
   * must be allowed (`role_not_allowed`). Answers the account as it is now.
   */
  setRoles(actor: Actor, userId: string, roles: string[]): Promise<User>;
}

export function createUserAdministration(deps: {
  users: Users;
  sessions: Sessions;
  secondFactors: Pick<SecondFactors, "removeAll">;
  passkeys: Pick<Passkeys, "remove">;
  identities: Pick<Identities, "unlink">;
  passwordReset: Pick<PasswordReset, "request">;
  activation: Pick<Activation, "queueActivationMail">;
  details: AccountDetailsReader;
  audit: AuditLog;
  defaultAllowedRoles: readonly string[];
}): UserAdministration {
  const { users, sessions, secondFactors, passkeys, passwordReset, activation, details, audit } = deps;

  async function account(userId: string): Promise<User> {
    const user = await users.findById(userId);
    if (!user) throw new CoreError("user_not_found");
    return user;
  }

  const target = (userId: string) => `user:${userId}`;

  return {
    async create(actor, input) {
      const extra = input.roles.filter((role) => role !== ADMIN_ROLE);
      const user = await users.register(
        { email: input.email, password: input.password, allowedRoles: [...new Set([...deps.defaultAllowedRoles, ...extra])] },
        { active: true, registeredBy: "operator" },
      );
      if (input.roles.includes(ADMIN_ROLE)) await users.addRole(user.id, ADMIN_ROLE);
      const created = await account(user.id);
      await audit.record(actor, "user_created", target(created.id), { email: created.email, roles: created.roles, password: input.password !== null });
      return created;
    },

    async setDisabled(actor, userId, disabled) {
      const user = await account(userId);
      await users.setDisabled(user.id, disabled);
      // Whoever holds one of its sessions must not keep it: the caller gate refuses them anyway, this ends them.
      if (disabled) await sessions.revokeAllForUser(user.id);
      await audit.record(actor, disabled ? "user_disabled" : "user_enabled", target(user.id), { email: user.email });
      return account(user.id);
    },

    async delete(actor, userId) {
      const { user, owns } = await details.of(userId);
      await users.delete(user.id);
      await audit.record(actor, "user_deleted", target(user.id), { email: user.email, username: user.username, deleted: owns });
      return owns;
    },

    async revokeSession(actor, userId, sessionId) {
      const user = await account(userId);
      const live = await sessions.liveOfUser(user.id);
      if (!live.some((session) => session.id === sessionId)) throw new CoreError("session_not_found");
      await sessions.endSession(sessionId);
      await audit.record(actor, "session_revoked", target(user.id), { session: sessionId });
    },

    async revokeAllSessions(actor, userId) {
      const user = await account(userId);
      const live = await sessions.liveOfUser(user.id);
      await sessions.revokeAllForUser(user.id);
      await audit.record(actor, "sessions_revoked", target(user.id), { count: live.length });
      return live.length;
    },

    async removeSecondFactor(actor, userId) {
      const user = await account(userId);
      const hadTotp = await secondFactors.removeAll(user.id);
      await audit.record(actor, "second_factor_removed", target(user.id), { had_totp: hadTotp });
      return hadTotp;
    },

    async removePasskey(actor, userId, passkeyId) {
      const user = await account(userId);
      if (!(await passkeys.remove(user.id, passkeyId, { client: { ip: actor.ip } }))) throw new CoreError("passkey_not_found");
      await audit.record(actor, "passkey_removed", target(user.id), { passkey: passkeyId });
    },

    async unlinkIdentity(actor, userId, provider) {
      const user = await account(userId);
      await deps.identities.unlink(user.id, provider, { ip: actor.ip });
      await audit.record(actor, "identity_unlinked", target(user.id), { provider });
    },

    async sendPasswordReset(actor, userId) {
      const user = await account(userId);
      if (!user.email) throw new CoreError("account_has_no_email");
      await passwordReset.request(user.email, { ip: actor.ip });
      await audit.record(actor, "password_reset_sent", target(user.id), { email: user.email });
    },

    async sendActivation(actor, userId) {
      const user = await account(userId);
      if (!user.email) throw new CoreError("account_has_no_email");
      if (user.active) throw new CoreError("account_already_active");
      await activation.queueActivationMail(user);
      await audit.record(actor, "activation_sent", target(user.id), { email: user.email });
    },

    async setRoles(actor, userId, roles) {
      const user = await account(userId);
      const wanted = new Set(roles);
      if (!wanted.has(user.defaultRole)) throw new CoreError("default_role_not_allowed", user.defaultRole);
      const added = [...wanted].filter((role) => !user.roles.includes(role)).sort();
      const removed = user.roles.filter((role) => !wanted.has(role));
      // Every addition is checked before anything changes: a refused role leaves the account as it was.
      for (const role of added) users.assertRoleAllowed(role);
      for (const role of added) await users.addRole(user.id, role);
      for (const role of removed) await users.removeRole(user, role);
      await audit.record(actor, "roles_set", target(user.id), { added, removed });
      return account(user.id);
    },
  };
}
