// The PostgreSQL mirror of schema.ts (DATABASE_URL=postgres://...): the same tables, columns, keys and indexes, with
// the same inferred row types (test/schema-parity.test.ts checks both). What each table and column means is written
// in schema.ts. Type mapping: epoch milliseconds and byte sizes -> bigint in "number" mode (they pass 2^31), small
// counters -> integer, integer booleans -> boolean, JSON text -> jsonb.
import { sql } from "drizzle-orm";
import { bigint, boolean, customType, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * A jsonb column that hands the value to Bun.SQL as it is. drizzle's own jsonb() passes JSON.stringify's text, and
 * Bun.SQL encodes a string bound to a jsonb parameter as a JSON string, so every object would be stored as a string
 * scalar (jsonb_typeof 'string', `->>` finds nothing): drizzle-orm issue 4942, fixed only in drizzle v1. Bun.SQL
 * serialises objects itself and returns jsonb parsed; a string read back (a value double-encoded before) is parsed.
 */
const jsonb = <T>(name: string) =>
  customType<{ data: T; driverData: unknown }>({
    dataType: () => "jsonb",
    toDriver: (value) => value,
    fromDriver: (value) => (typeof value === "string" ? JSON.parse(value) : value) as T,
  })(name);

/** Epoch milliseconds. */
const millis = (name: string) => bigint(name, { mode: "number" });

const createdAt = () =>
  millis("created_at")
    .notNull()
    .default(sql`(extract(epoch from clock_timestamp()) * 1000)::bigint`);

export const users = pgTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** COLLATE "C" (migration 0008, written by hand: drizzle does not model collations), as username: bytewise order. */
    email: text("email"),
    newEmail: text("new_email"),
    username: text("username"),
    displayName: text("display_name"),
    avatarUrl: text("avatar_url"),
    passwordHash: text("password_hash"),
    active: boolean("active").notNull().default(false),
    emailVerified: boolean("email_verified").notNull().default(false),
    disabled: boolean("disabled").notNull().default(false),
    isAnonymous: boolean("is_anonymous").notNull().default(false),
    defaultRole: text("default_role").notNull(),
    tier: integer("tier").notNull().default(0),
    referrerId: text("referrer_id"),
    metadata: jsonb<Record<string, unknown>>("metadata").notNull().default({}),
    createdAt: createdAt(),
    updatedAt: millis("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("users_email_unique").on(table.email),
    uniqueIndex("users_new_email_unique").on(table.newEmail),
    uniqueIndex("users_username_unique").on(table.username),
    index("users_created_idx").on(table.createdAt, table.id),
  ],
);

export const userRoles = pgTable(
  "user_roles",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role").notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.role] }), index("user_roles_role_idx").on(table.role, table.userId)],
);

export const sessions = pgTable(
  "sessions",
  {
    /** The session's id (the JWT's session claim); never part of the refresh token. */
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /**
     * The refresh token's first half, the same for every token of the session: how a token finds its row. Null for
     * a session carried over from when each token had its own row until its first rotation.
     */
    handle: text("handle"),
    /** SHA-256 of the session's current refresh token. Not indexed, so a rotation rewrites no index entry. */
    tokenHash: text("token_hash").notNull(),
    /** A carried-over session's token digest (token_hash as it was), by which it is found until its first rotation. */
    carriedTokenHash: text("carried_token_hash"),
    expiresAt: millis("expires_at").notNull(),
    createdAt: createdAt(),
    /** When the current token replaced its predecessor (null: never rotated). */
    rotatedAt: millis("rotated_at"),
    revokedAt: millis("revoked_at"),
    userAgent: text("user_agent"),
    ip: text("ip"),
  },
  (table) => [
    uniqueIndex("sessions_handle_unique").on(table.handle),
    // Only carried-over sessions are found by their token's digest: a column of its own, so token_hash is in no index
    // (on PostgreSQL a rotation can then be a HOT update, which writes no index entry either).
    uniqueIndex("sessions_carried_token_hash_unique").on(table.carriedTokenHash).where(sql`${table.carriedTokenHash} is not null`),
    index("sessions_user_idx").on(table.userId),
    index("sessions_created_idx").on(table.createdAt),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;

export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  count: integer("count").notNull(),
  windowStart: millis("window_start").notNull(),
});

export const generatedSecrets = pgTable("generated_secrets", {
  name: text("name").primaryKey(),
  value: text("value").notNull(),
  createdAt: createdAt(),
});

export const totpCredentials = pgTable("totp_credentials", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  secret: text("secret").notNull(),
  enabled: boolean("enabled").notNull().default(false),
  /** A 30 s step number (~5.9e7 today): fits integer, bigint so it never has to be thought about again. */
  lastUsedStep: bigint("last_used_step", { mode: "number" }),
  createdAt: createdAt(),
});

export type TotpCredentialRow = typeof totpCredentials.$inferSelect;

export const files = pgTable(
  "files",
  {
    key: text("key").primaryKey(),
    /** Bytes: files may pass 2 GiB. */
    size: bigint("size", { mode: "number" }).notNull(),
    contentType: text("content_type").notNull(),
    etag: text("etag").notNull(),
    token: text("token").notNull(),
    ownerId: text("owner_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: millis("updated_at").notNull(),
  },
  (table) => [index("files_owner_idx").on(table.ownerId)],
);

export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Which kind of code (core/second-factors/recovery-codes.ts): `backup-code`, `recovery-code`. */
    purpose: text("purpose").notNull(),
    /** SHA-256 of the user's id and the code: how a code is found and spent. */
    codeHash: text("code_hash").notNull(),
    /** The code as it is, only for a kind an API shows again after issuing it. */
    code: text("code"),
    createdAt: createdAt(),
  },
  (table) => [index("recovery_codes_user_idx").on(table.userId, table.purpose)],
);

export const challenges = pgTable(
  "challenges",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose").notNull(),
    secretHash: text("secret_hash"),
    code: text("code"),
    email: text("email"),
    data: jsonb<Record<string, unknown>>("data").notNull().default({}),
    attempts: integer("attempts").notNull().default(0),
    expiresAt: millis("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("challenges_purpose_secret_unique").on(table.purpose, table.secretHash),
    index("challenges_user_idx").on(table.userId, table.purpose),
  ],
);

export type FileRow = typeof files.$inferSelect;
export type RecoveryCodeRow = typeof recoveryCodes.$inferSelect;
export type ChallengeRow = typeof challenges.$inferSelect;

export const apiTokens = pgTable(
  "api_tokens",
  {
    token: text("token").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: millis("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("api_tokens_user_idx").on(table.userId)],
);

export type ApiTokenRow = typeof apiTokens.$inferSelect;

export const userIdentities = pgTable(
  "user_identities",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    subject: text("subject").notNull(),
    email: text("email"),
    accessTokenEncrypted: text("access_token_encrypted"),
    refreshTokenEncrypted: text("refresh_token_encrypted"),
    createdAt: createdAt(),
    lastUsedAt: millis("last_used_at"),
  },
  (table) => [
    uniqueIndex("user_identities_provider_subject_unique").on(table.provider, table.subject),
    index("user_identities_user_idx").on(table.userId),
  ],
);

export type UserIdentityRow = typeof userIdentities.$inferSelect;

export const webauthnCredentials = pgTable(
  "webauthn_credentials",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    publicKey: text("public_key").notNull(),
    counter: bigint("counter", { mode: "number" }).notNull().default(0),
    transports: jsonb<string[]>("transports").notNull().default([]),
    deviceType: text("device_type").notNull(),
    backedUp: boolean("backed_up").notNull().default(false),
    nickname: text("nickname"),
    createdAt: createdAt(),
    lastUsedAt: millis("last_used_at"),
  },
  (table) => [index("webauthn_credentials_user_idx").on(table.userId)],
);

export type WebauthnCredentialRow = typeof webauthnCredentials.$inferSelect;

export const mailQueue = pgTable(
  "mail_queue",
  {
    id: text("id").primaryKey(),
    recipient: text("recipient").notNull(),
    template: text("template").notNull(),
    data: jsonb<Record<string, unknown>>("data").notNull().default({}),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: millis("next_attempt_at"),
    lastError: text("last_error"),
    sentAt: millis("sent_at"),
    createdAt: createdAt(),
  },
  (table) => [index("mail_queue_next_attempt_idx").on(table.nextAttemptAt)],
);

export type MailQueueRow = typeof mailQueue.$inferSelect;

export const consoleSessions = pgTable(
  "console_sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    secondFactor: text("second_factor").notNull(),
    createdAt: createdAt(),
    lastSeenAt: millis("last_seen_at").notNull(),
    expiresAt: millis("expires_at").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (table) => [uniqueIndex("console_sessions_token_hash_unique").on(table.tokenHash), index("console_sessions_user_idx").on(table.userId)],
);

export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;

export const auditLog = pgTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    at: millis("at").notNull(),
    adminId: text("admin_id"),
    adminEmail: text("admin_email"),
    action: text("action").notNull(),
    target: text("target"),
    details: jsonb<Record<string, unknown>>("details").notNull().default({}),
    ip: text("ip"),
  },
  (table) => [
    index("audit_log_at_idx").on(table.at, table.id),
    index("audit_log_admin_idx").on(table.adminId, table.at, table.id),
    index("audit_log_target_idx").on(table.target, table.at, table.id),
  ],
);

export type AuditLogRow = typeof auditLog.$inferSelect;

export const securityEvents = pgTable(
  "security_events",
  {
    id: text("id").primaryKey(),
    at: millis("at").notNull(),
    event: text("event").notNull(),
    ip: text("ip"),
    account: text("account"),
    reason: text("reason"),
  },
  (table) => [
    index("security_events_at_idx").on(table.at, table.id),
    index("security_events_account_idx").on(table.account, table.at, table.id),
    index("security_events_ip_idx").on(table.ip, table.at, table.id),
  ],
);

export type SecurityEventRow = typeof securityEvents.$inferSelect;
