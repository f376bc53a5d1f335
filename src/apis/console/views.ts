// The console API's answer shapes (snake_case, times in epoch milliseconds), with the mappers from core's values.
// Nothing here carries a secret: no token, hash, key or code (core hands none out to these).
import { t } from "elysia";
import type { AccountDetails } from "../../core/administration/account-details.ts";
import type { AuditEntry } from "../../core/administration/audit-log.ts";
import type { StoredSecurityEvent } from "../../core/administration/security-event-log.ts";
import type { FoundUser } from "../../core/administration/user-search.ts";
import type { User } from "../../core/accounts/users.ts";
import { integer } from "../route-docs.ts";

const millis = (description: string) => integer({ description: `${description} (epoch ms)` });
const nullableMillis = (description: string) => t.Union([millis(description), t.Null()]);

export const userSummarySchema = t.Object(
  {
    id: t.String(),
    email: t.Nullable(t.String()),
    username: t.Nullable(t.String()),
    display_name: t.Nullable(t.String()),
    active: t.Boolean({ description: "false: waiting for activation" }),
    disabled: t.Boolean({ description: "true: banned, gets nothing from any API" }),
    anonymous: t.Boolean(),
    default_role: t.String(),
    roles: t.Array(t.String()),
    created_at: millis("created"),
  },
  { $id: "ConsoleUserSummary", additionalProperties: false },
);

export type UserSummary = typeof userSummarySchema.static;

export function userSummary(user: FoundUser | User): UserSummary {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    display_name: user.displayName,
    active: user.active,
    disabled: user.disabled,
    anonymous: user.isAnonymous,
    default_role: user.defaultRole,
    roles: user.roles,
    created_at: user.createdAt,
  };
}

export const ownedSchema = t.Object(
  {
    sessions: integer({ description: "live sessions" }),
    files: integer(),
    file_bytes: integer(),
    api_tokens: integer(),
    identities: integer({ description: "provider identities (OAuth, OIDC)" }),
    passkeys: integer(),
    second_factors: integer({ description: "a TOTP authenticator, backup codes and the recovery code, counted" }),
  },
  { $id: "ConsoleOwnedByAccount", additionalProperties: false, description: "What deleting the account removes with it" },
);

export function owned(owns: AccountDetails["owns"]): typeof ownedSchema.static {
  return {
    sessions: owns.sessions,
    files: owns.files,
    file_bytes: owns.fileBytes,
    api_tokens: owns.apiTokens,
    identities: owns.identities,
    passkeys: owns.passkeys,
    second_factors: owns.secondFactors,
  };
}

export const securityEventSchema = t.Object(
  {
    id: t.String(),
    at: millis("when"),
    event: t.String({ description: "sign_in_failed, locked_out, disabled_account, admin_secret_used, admin_secret_failed" }),
    ip: t.Nullable(t.String()),
    account: t.Nullable(t.String({ description: "`email:<address>` or `user:<id>`" })),
    reason: t.Nullable(t.String()),
  },
  { $id: "ConsoleSecurityEvent", additionalProperties: false },
);

export function securityEvent(event: StoredSecurityEvent): typeof securityEventSchema.static {
  return { id: event.id, at: event.at, event: event.event, ip: event.ip, account: event.account, reason: event.reason };
}

export const sessionSummarySchema = t.Object(
  {
    id: t.String(),
    created_at: millis("signed in"),
    last_used_at: millis("issued or last refreshed"),
    expires_at: millis("ends unless refreshed"),
    ip: t.Nullable(t.String()),
    user_agent: t.Nullable(t.String()),
  },
  { additionalProperties: false },
);

export const userDetailsSchema = t.Object(
  {
    user: t.Object(
      {
        ...userSummarySchema.properties,
        email_verified: t.Boolean(),
        password: t.Boolean({ description: "whether the account has a password" }),
        updated_at: millis("last changed"),
      },
      { additionalProperties: false },
    ),
    sessions: t.Array(sessionSummarySchema),
    second_factors: t.Object(
      { totp: t.Boolean(), backup_codes: integer(), recovery_codes: integer() },
      { additionalProperties: false },
    ),
    passkeys: t.Array(
      t.Object(
        {
          id: t.String(),
          nickname: t.Nullable(t.String()),
          device_type: t.String(),
          backed_up: t.Boolean(),
          transports: t.Array(t.String()),
          created_at: millis("registered"),
          last_used_at: nullableMillis("last used"),
        },
        { additionalProperties: false },
      ),
    ),
    identities: t.Array(
      t.Object(
        {
          id: t.String(),
          provider: t.String(),
          subject: t.String(),
          email: t.Nullable(t.String()),
          created_at: millis("linked"),
          last_used_at: nullableMillis("last used"),
        },
        { additionalProperties: false },
      ),
    ),
    api_tokens: t.Array(t.Object({ created_at: millis("made"), expires_at: millis("expires") }, { additionalProperties: false }), {
      description: "lncrawl's API tokens: when each was made and expires, never the token",
    }),
    owns: ownedSchema,
    recent_security_events: t.Array(securityEventSchema),
  },
  { $id: "ConsoleUserDetails", additionalProperties: false },
);

export function userDetails(details: AccountDetails): typeof userDetailsSchema.static {
  const { user } = details;
  return {
    user: { ...userSummary(user), email_verified: user.emailVerified, password: user.passwordHash !== null, updated_at: user.updatedAt },
    sessions: details.sessions.map((session) => ({
      id: session.id,
      created_at: session.createdAt,
      last_used_at: session.lastUsedAt,
      expires_at: session.expiresAt,
      ip: session.ip,
      user_agent: session.userAgent,
    })),
    second_factors: {
      totp: details.secondFactors.totp,
      backup_codes: details.secondFactors.backupCodes,
      recovery_codes: details.secondFactors.recoveryCodes,
    },
    passkeys: details.passkeys.map((passkey) => ({
      id: passkey.id,
      nickname: passkey.nickname,
      device_type: passkey.deviceType,
      backed_up: passkey.backedUp,
      transports: passkey.transports,
      created_at: passkey.createdAt,
      last_used_at: passkey.lastUsedAt,
    })),
    identities: details.identities.map((identity) => ({
      id: identity.id,
      provider: identity.provider,
      subject: identity.subject,
      email: identity.email,
      created_at: identity.createdAt,
      last_used_at: identity.lastUsedAt,
    })),
    api_tokens: details.apiTokens.map((token) => ({ created_at: token.createdAt, expires_at: token.expiresAt })),
    owns: owned(details.owns),
    recent_security_events: details.recentEvents.map(securityEvent),
  };
}

export const auditEntrySchema = t.Object(
  {
    id: t.String(),
    at: millis("when"),
    admin_id: t.Nullable(t.String({ description: "null: a sign-in that failed before anyone was known" })),
    admin_email: t.Nullable(t.String({ description: "the administrator's address; for a failed sign-in, what was typed" })),
    action: t.String(),
    target: t.Nullable(t.String({ description: "`user:<id>`, `console_session:<id>`" })),
    details: t.Record(t.String(), t.Unknown()),
    ip: t.Nullable(t.String()),
  },
  { $id: "ConsoleAuditEntry", additionalProperties: false },
);

export function auditEntry(entry: AuditEntry): typeof auditEntrySchema.static {
  return {
    id: entry.id,
    at: entry.at,
    admin_id: entry.adminId,
    admin_email: entry.adminEmail,
    action: entry.action,
    target: entry.target,
    details: entry.details,
    ip: entry.ip,
  };
}

/** A list's `next`: the cursor of the following page, null on the last. */
export const NEXT = t.Nullable(t.String({ description: "pass as `after` for the next page; null: this is the last page" }));
