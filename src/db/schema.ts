// The one user base every dialect shares. One table per concept; times are epoch milliseconds.
// Secrets (refresh tokens, tickets, codes) are stored only as SHA-256 digests: see lib/secrets.ts.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const createdAt = () =>
  integer("created_at", { mode: "number" })
    .notNull()
    .default(sql`(cast(unixepoch('subsec') * 1000 as integer))`);

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** Lower-cased and trimmed (core/accounts/users.ts normaliseEmail); null for anonymous users. */
    email: text("email"),
    /** Email waiting for confirmation by a change-email ticket. */
    newEmail: text("new_email"),
    username: text("username"),
    displayName: text("display_name"),
    avatarUrl: text("avatar_url"),
    /** argon2id (or an imported bcrypt hash, re-hashed at the next login); null for password-less accounts. */
    passwordHash: text("password_hash"),
    active: integer("active", { mode: "boolean" }).notNull().default(false),
    emailVerified: integer("email_verified", { mode: "boolean" }).notNull().default(false),
    disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
    isAnonymous: integer("is_anonymous", { mode: "boolean" }).notNull().default(false),
    defaultRole: text("default_role").notNull(),
    /** lncrawl's tier: 0 basic, 1 premium, 2 VIP. */
    tier: integer("tier").notNull().default(0),
    /** Who invited this user (lncrawl's referral sign-up); cleared by users.delete when the referrer goes. */
    referrerId: text("referrer_id"),
    /** REGISTRATION_CUSTOM_FIELDS values that are not columns above, as a JSON object. */
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
  },
  (table) => [
    uniqueIndex("users_email_unique").on(table.email),
    uniqueIndex("users_new_email_unique").on(table.newEmail),
    uniqueIndex("users_username_unique").on(table.username),
    // The console's list of every account, newest first, a page at a time (db/repositories/user-search.ts).
    index("users_created_idx").on(table.createdAt, table.id),
  ],
);

export const userRoles = sqliteTable(
  "user_roles",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.role] }),
    // The console's search by role: the accounts with a role, in id order, a page at a time.
    index("user_roles_role_idx").on(table.role, table.userId),
  ],
);

/** One row per session (sign-in): a rotation rewrites the row's token digest in place (see core/sessions/sessions.ts). */
export const sessions = sqliteTable(
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
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
    createdAt: createdAt(),
    /** When the current token replaced its predecessor (null: never rotated). */
    rotatedAt: integer("rotated_at", { mode: "number" }),
    revokedAt: integer("revoked_at", { mode: "number" }),
    userAgent: text("user_agent"),
    ip: text("ip"),
  },
  (table) => [
    uniqueIndex("sessions_handle_unique").on(table.handle),
    // Only carried-over sessions are found by their token's digest: a column of its own, so token_hash is in no index
    // (on PostgreSQL a rotation can then be a HOT update, which writes no index entry either).
    uniqueIndex("sessions_carried_token_hash_unique").on(table.carriedTokenHash).where(sql`${table.carriedTokenHash} is not null`),
    index("sessions_user_idx").on(table.userId),
    // The console's sign-ins per day: a range of creation times. A rotation never sets created_at, so it touches no entry.
    index("sessions_created_idx").on(table.createdAt),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;

/** Fixed-window counters for every guessable check (passwords, tickets, codes), shared by all instances. */
export const rateLimits = sqliteTable("rate_limits", {
  key: text("key").primaryKey(),
  count: integer("count").notNull(),
  windowStart: integer("window_start", { mode: "number" }).notNull(),
});

/**
 * Secrets latchkey generated because they were not set (core/sessions/generated-secrets.ts): the JWT signing key or key pair
 * (`jwt-hmac`, `jwt-rs256` ...) and the cookie secret (`cookie`). In the database, not a data directory, so every
 * instance on it signs and verifies with the same keys, and an export carries them. They are needed as they are,
 * so they cannot be hashed: who can read this table can sign tokens (set JWT_KEY and COOKIE_SECRET to keep them out).
 */
export const generatedSecrets = sqliteTable("generated_secrets", {
  name: text("name").primaryKey(),
  value: text("value").notNull(),
  createdAt: createdAt(),
});

/**
 * A user's TOTP authenticator. The secret must be read back to compute codes, so it cannot be hashed: it is
 * kept as the base32 text authenticator apps use. `lastUsedStep` is the 30 s step of the last accepted code, so a
 * code is accepted once (replay protection) on every instance.
 */
export const totpCredentials = sqliteTable("totp_credentials", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  secret: text("secret").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(false),
  lastUsedStep: integer("last_used_step"),
  createdAt: createdAt(),
});

export type TotpCredentialRow = typeof totpCredentials.$inferSelect;

/**
 * Metadata of stored files (HBP storage). The bytes live in the blob store under the same key. `token` is the
 * per-file access token HBP returns as `Metadata.token` and clients put in `?token=`; the API must show it again,
 * so it is stored as it is (it grants read access to this one file only).
 */
export const files = sqliteTable(
  "files",
  {
    key: text("key").primaryKey(),
    size: integer("size").notNull(),
    contentType: text("content_type").notNull(),
    etag: text("etag").notNull(),
    token: text("token").notNull(),
    ownerId: text("owner_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
  },
  (table) => [index("files_owner_idx").on(table.ownerId)],
);

/**
 * Codes a user keeps for when the authenticator is lost, each good once, of every kind one table: WolfPal's backup
 * codes and Faroe's recovery code (core/second-factors/recovery-codes.ts). Found and spent by their digest; kept as
 * they are as well only where an API must show them again (both of today's kinds: their declarations say why).
 */
export const recoveryCodes = sqliteTable(
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

/**
 * Every code or link latchkey hands a user to prove something (core/challenges/): HBP's tickets, lncrawl's email code,
 * the MFA-login step, Faroe's verification and password-reset requests; one table told apart by `purpose`.
 */
export const challenges = sqliteTable(
  "challenges",
  {
    id: text("id").primaryKey(),
    /** The user it is for; null for a flow that starts before anyone is known (an OAuth state, a passkey sign-in). */
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose").notNull(),
    /** SHA-256 of a ticket (how it is found), or argon2id of a short code a person types; null where `code` is kept. */
    secretHash: text("secret_hash"),
    /** The code as it is, only for a purpose whose API shows it again (core/challenges/purposes.ts says which). */
    code: text("code"),
    /** The address the challenge proves, for a purpose that proves one by its own request. */
    email: text("email"),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    /** Wrong codes tried so far. */
    attempts: integer("attempts").notNull().default(0),
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
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

/**
 * Long-lived API tokens (lncrawl's UserToken: 10 characters, listed back to their owner by GET /me/tokens, so the
 * API must show them again and they are stored as they are). Each grants only what its owner's account grants.
 */
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    token: text("token").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("api_tokens_user_idx").on(table.userId)],
);

export type ApiTokenRow = typeof apiTokens.$inferSelect;

/**
 * Accounts at OAuth and OpenID Connect providers a user signs in with (core/identities/): found by (provider,
 * subject), never by name or address. The provider's tokens are kept only when a setting asks for it, and then
 * encrypted (AES-GCM under a key derived from the cookie secret): they grant access at the provider.
 */
export const userIdentities = sqliteTable(
  "user_identities",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The provider's name as in its route: `github`, `google`, or an OIDC_PROVIDERS name. */
    provider: text("provider").notNull(),
    /** The provider's stable id of the account (OIDC `sub`, GitHub's numeric id). */
    subject: text("subject").notNull(),
    /** The address the provider gave at the last sign-in (for people; never used to find the identity). */
    email: text("email"),
    accessTokenEncrypted: text("access_token_encrypted"),
    refreshTokenEncrypted: text("refresh_token_encrypted"),
    createdAt: createdAt(),
    lastUsedAt: integer("last_used_at", { mode: "number" }),
  },
  (table) => [
    uniqueIndex("user_identities_provider_subject_unique").on(table.provider, table.subject),
    index("user_identities_user_idx").on(table.userId),
  ],
);

export type UserIdentityRow = typeof userIdentities.$inferSelect;

/**
 * Passkeys (WebAuthn credentials, core/second-factors/passkeys.ts). The public key cannot sign anything, so it is
 * kept as it is; `counter` is the authenticator's signature counter, to refuse a clone (a counter going backwards).
 */
export const webauthnCredentials = sqliteTable(
  "webauthn_credentials",
  {
    /** The credential id, base64url: unique across every user. */
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The COSE public key, base64url. */
    publicKey: text("public_key").notNull(),
    counter: integer("counter").notNull().default(0),
    /** The transports the authenticator named (`usb`, `internal`, `hybrid` ...), a JSON array. */
    transports: text("transports", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** `singleDevice` or `multiDevice`. */
    deviceType: text("device_type").notNull(),
    backedUp: integer("backed_up", { mode: "boolean" }).notNull().default(false),
    nickname: text("nickname"),
    createdAt: createdAt(),
    lastUsedAt: integer("last_used_at", { mode: "number" }),
  },
  (table) => [index("webauthn_credentials_user_idx").on(table.userId)],
);

export type WebauthnCredentialRow = typeof webauthnCredentials.$inferSelect;

/**
 * Mails waiting to be sent, and sent (core/mail/queue.ts). A row is the intent only: the template, the address asked
 * for and data that grants nothing (a link's prefix and lifetime, a user id). The worker mints the ticket or code when
 * it sends, so no usable link or code is ever kept here. `next_attempt_at`: due from then (while a worker sends it,
 * the end of its lease); null once sent or given up. `last_error`: the mail server's answer to the last attempt.
 */
export const mailQueue = sqliteTable(
  "mail_queue",
  {
    id: text("id").primaryKey(),
    recipient: text("recipient").notNull(),
    template: text("template").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at", { mode: "number" }),
    lastError: text("last_error"),
    sentAt: integer("sent_at", { mode: "number" }),
    createdAt: createdAt(),
  },
  (table) => [index("mail_queue_next_attempt_idx").on(table.nextAttemptAt)],
);

export type MailQueueRow = typeof mailQueue.$inferSelect;

/**
 * Sessions of the admin console (core/administration/console-sessions.ts): their own table, so a console session is
 * never an HBP, lncrawl or WolfPal session and none of those is a console session. Found by the SHA-256 of the cookie's
 * token; over after CONSOLE_SESSION_IDLE_MINUTES without a request (`last_seen_at`) or at `expires_at` (8 hours).
 */
export const consoleSessions = sqliteTable(
  "console_sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** SHA-256 of the cookie's token (256 random bits). */
    tokenHash: text("token_hash").notNull(),
    /** What proved the administrator beyond the password: `totp`, or `none` (CONSOLE_REQUIRE_MFA off). */
    secondFactor: text("second_factor").notNull(),
    createdAt: createdAt(),
    lastSeenAt: integer("last_seen_at", { mode: "number" }).notNull(),
    expiresAt: integer("expires_at", { mode: "number" }).notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (table) => [uniqueIndex("console_sessions_token_hash_unique").on(table.tokenHash), index("console_sessions_user_idx").on(table.userId)],
);

export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;

/**
 * What administrators did in the console (core/administration/audit-log.ts): who (the account's id and address as they
 * were; no foreign key, so an entry outlives the account), what (an action, its target and a small JSON of details,
 * never a secret), when and from which address. Append-only: no route deletes or changes a row, and the migration adds
 * triggers that refuse UPDATE and DELETE.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    at: integer("at", { mode: "number" }).notNull(),
    /** The administrator's account id; null for a sign-in that failed before anyone was known. */
    adminId: text("admin_id"),
    /** Their address (or login) then; for a failed sign-in, what was typed. */
    adminEmail: text("admin_email"),
    action: text("action").notNull(),
    /** What the action was done to, e.g. `user:<id>`, `session:<id>`; null when nothing in particular. */
    target: text("target"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    ip: text("ip"),
  },
  (table) => [
    index("audit_log_at_idx").on(table.at, table.id),
    index("audit_log_admin_idx").on(table.adminId, table.at, table.id),
    index("audit_log_target_idx").on(table.target, table.at, table.id),
  ],
);

export type AuditLogRow = typeof auditLog.$inferSelect;

/**
 * Security events (core/security-events.ts), kept for the console as well as logged: failed sign-ins, lockouts,
 * disabled-account attempts, admin-secret uses. Never a secret. Deleted after SECURITY_EVENTS_KEEP_DAYS.
 */
export const securityEvents = sqliteTable(
  "security_events",
  {
    id: text("id").primaryKey(),
    at: integer("at", { mode: "number" }).notNull(),
    event: text("event").notNull(),
    ip: text("ip"),
    /** As the log line has it: `email:a@b.c`, `user:<id>`; null when the guess named no account. */
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
