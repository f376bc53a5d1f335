// Every setting latchkey reads, parsed and validated once at start-up, then frozen: nothing changes it afterwards,
// and nothing else reads the environment.
// Names and defaults follow Hasura Backend Plus (spec/hbp.md §3) unless a comment says why latchkey differs.
import { resolve } from "node:path";
import { Reader } from "./config-reader.ts";
import { readBackupUrl, readDatabaseUrl } from "./config-urls.ts";
import { readBackupTiming } from "./config-backup-schedule.ts";
import { readConsoleSettings, type ConsoleSettings, type SecurityEventSettings } from "./config-console.ts";
import { readWebauthn, type WebauthnSettings } from "./config-webauthn.ts";
import { readProviderSettings, type ProviderSettings } from "./config-providers.ts";
import { readJwtSettings, type JwtSettings } from "./config-jwt.ts";
import { readRateLimits, type RateLimitSettings } from "./config-rate-limits.ts";
import { readPasswordSettings, type PasswordSettings } from "./config-passwords.ts";
import { readMailSettings, type MailSettings } from "./config-mail.ts";
import { readStorageSettings, type StorageSettings } from "./config-storage.ts";
import { ConfigError } from "./lib/errors.ts";
import { deepFreeze, type DeepReadonly } from "./lib/frozen.ts";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./lib/logger.ts";

export type Env = Record<string, string | undefined>;

export type SameSite = "Lax" | "Strict" | "None";

/** The settings, read-only (loadConfig freezes them). */
export type Config = DeepReadonly<Settings>;

interface Settings {
  server: {
    host: string;
    port: number;
    /**
     * PUBLIC_URL: the address users reach latchkey at (mailed links, WolfPal's token issuer). No trailing slash.
     * Unset, it is http://localhost:<PORT>; null with PORT=0, whose port is known only once latchkey listens
     * (src/public-url.ts resolves it then).
     */
    publicUrl: string | null;
    dataDir: string;
    /** Origins allowed to make credentialed cross-origin calls; ["*"] reflects any origin, as HBP does. */
    corsOrigins: string[];
  };
  database: {
    /** DATABASE_URL=postgres://...: PostgreSQL, shared by several instances; null: SQLite in DATA_DIR. */
    url: string | null;
    /** SQLITE_CACHE_MB: the server's SQLite page cache (SQLite's own default is 2 MB). */
    sqliteCacheMiB: number;
  };
  /** LOG_LEVEL: the lowest level written; LOG_FORMAT: `text` for a terminal, `json` one object a line. */
  log: {
    level: LogLevel;
    format: LogFormat;
    /** LOG_REQUESTS: one access line per request (at info). Off by default: see src/http/access-log.ts. */
    requests: boolean;
  };
  auth: {
    enabled: boolean;
    autoActivateNewUsers: boolean;
    verifyEmails: boolean;
    allowUserSelfDelete: boolean;
    redirectUrlSuccess: string | null;
    redirectUrlError: string | null;
    defaultUserRole: string;
    defaultAllowedUserRoles: string[];
    allowedUserRoles: string[];
    registrationCustomFields: string[];
    /** How long a rotated refresh token is answered 401 without revoking its family (racing tabs, retries). */
    refreshReuseGraceSeconds: number;
    /** Lifetime of mailed tickets and links (activation, password reset, email change, magic link) and MFA tickets. */
    ticketExpiresInSeconds: number;
    lostPasswordEnabled: boolean;
    changeEmailEnabled: boolean;
    notifyEmailChange: boolean;
    magicLinkEnabled: boolean;
    mfaEnabled: boolean;
    otpIssuer: string;
    anonymousUsersEnabled: boolean;
    defaultAnonymousRole: string;
    userImpersonationEnabled: boolean;
    /** The page a password-reset mail links to (`?ticket=` appended); default: latchkey's own small form. */
    passwordResetUrl: string | null;
    /** The page an email-change mail links to (`?ticket=` appended); default: latchkey's own confirmation page. */
    emailChangeUrl: string | null;
    /** HBP's admin secret (`x-admin-secret`); null: no admin bypass exists at all. */
    adminSecret: string | null;
  };
  /** Sign-in through GitHub, Google and OpenID Connect providers (src/config-providers.ts). */
  providers: ProviderSettings;
  /** Who may create an account and with what, in every dialect (core/accounts/registration-policy.ts). */
  registration: {
    /** REGISTRATION_ENABLED=false: nobody signs themselves up, in any dialect; the operator still creates accounts. */
    enabled: boolean;
    /** Addresses must be at one of these domains (or a subdomain); empty: any. Lower-case, without "@". */
    allowedEmailDomains: string[];
    /** New passwords: at least this many characters, at most MAX_PASSWORD_LENGTH (128). */
    minPasswordLength: number;
  };
  lncrawl: {
    enabled: boolean;
    prefix: string;
    /** The administrator's address (or username); with ADMIN_PASSWORD. Unset: an `admin` account with a random password. */
    adminLogin: string | null;
    adminPassword: string | null;
    tokenExpiresInMinutes: number;
    /** The web page the reset mail links to (`?token=` appended). */
    resetUrl: string | null;
  };
  wolfpal: {
    enabled: boolean;
    prefix: string;
    /** Where mailed links point (activation, reset): the WolfPal app, or this API by default. */
    appUrl: string | null;
  };
  /** Guess limits and trusted proxies (src/config-rate-limits.ts). */
  rateLimits: RateLimitSettings;
  /** Password hashing and its queue (src/config-passwords.ts). */
  passwords: PasswordSettings;
  faroe: {
    /** The shared secret callers put in `Authorization`; null: the Faroe API is not mounted at all. */
    credential: string | null;
    prefix: string;
  };
  /** Access tokens' signing and lifetimes (src/config-jwt.ts). */
  jwt: JwtSettings;
  cookies: {
    /** null: generated once and kept in the data directory, so cookies are always signed. */
    secret: string | null;
    /** COOKIE_SECURE; unset: true when PUBLIC_URL is https. */
    secure: boolean;
    sameSite: SameSite;
  };
  /** SMTP or the outbox folder, the sender, templates, retries (src/config-mail.ts). */
  mail: MailSettings;
  /** Uploads, image transforms, local disk or S3 (src/config-storage.ts). */
  storage: StorageSettings;
  metrics: {
    /** METRICS_ENABLED: GET /metrics answers (Prometheus text format); off, it is an unknown path (404). */
    enabled: boolean;
    /** METRICS_TOKEN: a scrape must send `Authorization: Bearer <token>`; null: /metrics is open to whoever reaches it. */
    token: string | null;
  };
  /** `latchkey backup` and scheduled backups (src/backup-*.ts; README "Backups"). */
  backup: {
    /** BACKUP_URL: where backups are written; null: `latchkey backup` needs a destination and nothing is scheduled. */
    target: BackupTarget | null;
    /** BACKUP_SCHEDULE: seconds between the server's backups; null: none. */
    intervalSeconds: number | null;
    /** BACKUP_SCHEDULE as a cron expression (src/config-backup-schedule.ts); null: none. */
    cron: string | null;
    /** BACKUP_KEEP: how many scheduled backups stay at the target; older ones are deleted after each new one. */
    keep: number;
  };
  /** The admin console at /console (src/config-console.ts). */
  console: ConsoleSettings;
  /** Security events kept in the database for the console (src/config-console.ts). */
  securityEvents: SecurityEventSettings;
  /** Passkeys on the HBP mount (src/config-webauthn.ts: WEBAUTHN_*). */
  webauthn: WebauthnSettings;
  /** MAILHOG_API_PORT: a MailHog-compatible read API over the mails sent, on 127.0.0.1:<port> only (src/mailhog-api.ts); null: none. */
  mailhog: { apiPort: number | null };
}

/** Where backups go: a folder, or a bucket (and prefix) of an S3-compatible store. */
export type BackupTarget = { kind: "folder"; path: string } | { kind: "s3"; s3: S3Settings };

export interface S3Settings {
  bucket: string;
  /** Where latchkey's keys start inside the bucket: "" or a path ending with "/". */
  prefix: string;
  /** The service's URL (path-style requests: <endpoint>/<bucket>/<key>). */
  endpoint: string;
  region: string;
  /** S3_ACCESS_KEY_ID or AWS_ACCESS_KEY_ID, and the matching secret and optional session token. */
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | null;
}

/** Where each enabled API is mounted, by the setting that moves it. */
export function mountPoints(config: Config): { setting: string; path: string }[] {
  const mounts = [
    { setting: "HBP (fixed)", path: "/health" },
    { setting: "HBP (fixed)", path: "/healthz" },
    { setting: "HBP (fixed)", path: "/version" },
    { setting: "readiness (fixed)", path: "/readyz" },
    { setting: "docs (fixed)", path: "/openapi" },
  ];
  if (config.auth.enabled) mounts.push({ setting: "HBP (fixed)", path: "/auth" });
  // Always mounted: with STORAGE_ENABLED=false its routes answer 404 saying how to turn it on.
  mounts.push({ setting: "HBP (fixed)", path: "/storage" });
  if (config.faroe.credential !== null) mounts.push({ setting: "FAROE_PREFIX", path: config.faroe.prefix });
  if (config.lncrawl.enabled) mounts.push({ setting: "LNCRAWL_PREFIX", path: config.lncrawl.prefix });
  if (config.wolfpal.enabled) mounts.push({ setting: "WOLFPAL_PREFIX", path: config.wolfpal.prefix });
  if (config.metrics.enabled) mounts.push({ setting: "metrics (fixed)", path: "/metrics" });
  if (config.console.enabled) mounts.push({ setting: "console (fixed)", path: "/console" });
  return mounts;
}

/** Two APIs on the same path (or one inside the other's) would shadow each other's routes: refuse to start. */
export function mountConflicts(config: Config): string[] {
  const mounts = mountPoints(config);
  const problems: string[] = [];
  const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}/`);
  for (let i = 0; i < mounts.length; i++) {
    for (let j = i + 1; j < mounts.length; j++) {
      const [a, b] = [mounts[i]!, mounts[j]!];
      if (within(a.path, b.path) || within(b.path, a.path)) {
        problems.push(`${b.setting}: "${b.path}" overlaps "${a.path}" of ${a.setting}; two APIs cannot share routes, move one`);
      }
    }
  }
  return problems;
}

/** The settings of this process: its environment (Bun has already merged a .env file of the working folder into it). */
export function loadConfigFromEnvironment(): Config {
  return loadConfig(process.env);
}

/**
 * Every variable latchkey reads, those read only when another is set (SMTP_PASS, S3 credentials) included: the
 * settings are read once with the ones that open those branches set, and the names asked for are collected. The
 * OIDC_<NAME>_* settings are named by OIDC_PROVIDERS: those of the providers `env` names are included.
 */
export function settingNames(env: Env = {}): string[] {
  const asked = new Set<string>();
  const probe = {
    SMTP_HOST: "probe",
    STORAGE_URL: "s3://probe-bucket",
    S3_ACCESS_KEY_ID: "probe",
    S3_SECRET_ACCESS_KEY: "probe",
    OIDC_PROVIDERS: env.OIDC_PROVIDERS ?? "",
  };
  try {
    loadConfig(probe, { asked });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
  return [...asked].sort();
}

export function loadConfig(env: Env, options: { cwd?: string; asked?: Set<string> } = {}): Config {
  const read = new Reader(env, options.asked);
  const port = read.number("PORT", 3000, { min: 0, max: 65535, integer: true });
  const explicitPublicUrl = read.url(["PUBLIC_URL", "SERVER_URL"]);
  const publicUrl = explicitPublicUrl?.replace(/\/+$/, "") ?? (port === 0 ? null : `http://localhost:${port}`);
  const defaultUserRole = read.string("DEFAULT_USER_ROLE", "user");
  const defaultAllowedUserRoles = read.list("DEFAULT_ALLOWED_USER_ROLES", [defaultUserRole]);
  const redirectUrlSuccess = read.url("REDIRECT_URL_SUCCESS");
  const redirectUrlError = read.url("REDIRECT_URL_ERROR");
  const cwd = options.cwd ?? process.cwd();

  const config: Settings = {
    server: {
      host: read.string("HOST", "0.0.0.0"),
      port,
      publicUrl,
      dataDir: resolve(cwd, read.string("DATA_DIR", "./data")),
      corsOrigins: read.list("CORS_ORIGINS", ["*"]),
    },
    auth: {
      enabled: read.bool("AUTH_ENABLED", true),
      autoActivateNewUsers: read.bool(["AUTO_ACTIVATE_NEW_USERS", "AUTO_ACTIVATE_NEW_USERS_ENABLE"], true),
      verifyEmails: read.bool(["VERIFY_EMAILS", "VERIFY_EMAILS_ENABLE"], false),
      allowUserSelfDelete: read.bool(["ALLOW_USER_SELF_DELETE", "ALLOW_USER_SELF_DELETE_ENABLE"], false),
      redirectUrlSuccess,
      redirectUrlError,
      defaultUserRole,
      defaultAllowedUserRoles,
      allowedUserRoles: read.list("ALLOWED_USER_ROLES", defaultAllowedUserRoles),
      registrationCustomFields: read.list("REGISTRATION_CUSTOM_FIELDS", []),
      refreshReuseGraceSeconds: read.number("REFRESH_REUSE_GRACE_SECONDS", 10, { min: 0, max: 300, integer: true }),
      ticketExpiresInSeconds: read.number("TICKET_EXPIRES_IN_SECONDS", 3600, { min: 1, max: 604800, integer: true }),
      lostPasswordEnabled: read.bool(["LOST_PASSWORD_ENABLED", "LOST_PASSWORD_ENABLE"], false),
      changeEmailEnabled: read.bool(["CHANGE_EMAIL_ENABLED", "CHANGE_EMAIL_ENABLE"], true),
      notifyEmailChange: read.bool(["NOTIFY_EMAIL_CHANGE", "NOTIFY_EMAIL_CHANGE_ENABLE"], false),
      magicLinkEnabled: read.bool(["MAGIC_LINK_ENABLED", "MAGIC_LINK_ENABLE"], false),
      mfaEnabled: read.bool(["MFA_ENABLED", "MFA_ENABLE"], true),
      otpIssuer: read.string("OTP_ISSUER", "HBP"),
      anonymousUsersEnabled: read.bool(["ANONYMOUS_USERS_ENABLED", "ANONYMOUS_USERS_ENABLE"], false),
      defaultAnonymousRole: read.string("DEFAULT_ANONYMOUS_ROLE", "anonymous"),
      userImpersonationEnabled: read.bool(["USER_IMPERSONATION_ENABLED", "USER_IMPERSONATION_ENABLE"], false),
      passwordResetUrl: read.url("PASSWORD_RESET_URL"),
      emailChangeUrl: read.url("EMAIL_CHANGE_URL"),
      adminSecret: read.optionalString(["ADMIN_SECRET", "HASURA_GRAPHQL_ADMIN_SECRET"]),
    },
    providers: readProviderSettings(read, { success: redirectUrlSuccess, error: redirectUrlError }),
    registration: {
      // WolfPal's own default is off; latchkey's is on, as HBP's (spec/wolfpal.md decision 4).
      enabled: read.bool("REGISTRATION_ENABLED", true),
      // "@example.com" is taken as "example.com".
      allowedEmailDomains: read.list("ALLOWED_EMAIL_DOMAINS", []).map((domain) => domain.toLowerCase().replace(/^@/, "")),
      // NIST SP 800-63B's minimum for a password a user chooses (HBP's default is 3).
      minPasswordLength: read.number("MIN_PASSWORD_LENGTH", 8, { min: 1, max: 128, integer: true }),
    },
    lncrawl: {
      // Off unless asked for: an HBP-only deployment must not have a second open sign-up route and an admin account.
      enabled: read.bool("LNCRAWL_ENABLED", false),
      prefix: read.prefix("LNCRAWL_PREFIX", "/api/auth"),
      adminLogin: read.optionalString("ADMIN_EMAIL"),
      adminPassword: read.optionalString("ADMIN_PASSWORD"),
      // lncrawl's token_expiry: 7 days.
      tokenExpiresInMinutes: read.number("LNCRAWL_TOKEN_EXPIRES_IN", 10080, { min: 1, max: 525600, integer: true }),
      resetUrl: read.url("LNCRAWL_RESET_URL"),
    },
    wolfpal: {
      enabled: read.bool("WOLFPAL_ENABLED", false),
      prefix: read.prefix("WOLFPAL_PREFIX", "/wolfpal"),
      appUrl: read.url("WOLFPAL_APP_URL"),
    },
    rateLimits: readRateLimits(read),
    passwords: readPasswordSettings(read),
    database: {
      url: readDatabaseUrl(read),
      // Allocated only as pages are read: a small database never uses more than its size (bench/README.md, "Scale").
      sqliteCacheMiB: read.number("SQLITE_CACHE_MB", 2, { min: 2, max: 65536, integer: true }),
    },
    log: {
      level: read.oneOf("LOG_LEVEL", LOG_LEVELS, "info", { caseInsensitive: true }),
      format: read.oneOf("LOG_FORMAT", LOG_FORMATS, "text", { caseInsensitive: true }),
      requests: read.bool("LOG_REQUESTS", false),
    },
    faroe: {
      credential: read.optionalString("FAROE_CREDENTIAL"),
      prefix: read.prefix("FAROE_PREFIX", "/faroe"),
    },
    jwt: readJwtSettings(read),
    cookies: {
      secret: read.optionalString("COOKIE_SECRET"),
      // Unset, Secure follows PUBLIC_URL: a site served over https never sends its refresh cookie over plain http.
      secure: read.bool("COOKIE_SECURE", publicUrl !== null && /^https:/i.test(publicUrl)),
      sameSite: read.oneOf("COOKIE_SAME_SITE", ["Lax", "Strict", "None"] as const, "Lax", { caseInsensitive: true }),
    },
    mail: readMailSettings(read),
    storage: readStorageSettings(read, cwd),
    metrics: {
      enabled: read.bool("METRICS_ENABLED", false),
      token: read.optionalString("METRICS_TOKEN"),
    },
    backup: {
      target: readBackupUrl(read, cwd),
      ...readBackupTiming(read),
      keep: read.number("BACKUP_KEEP", 7, { min: 1, max: 10000, integer: true }),
    },
    ...readConsoleSettings(read, publicUrl),
    webauthn: readWebauthn(read, publicUrl),
    mailhog: { apiPort: read.optionalString("MAILHOG_API_PORT") === null ? null : read.number("MAILHOG_API_PORT", 0, { min: 1, max: 65535, integer: true }) },
  };

  const { auth, jwt, cookies, mail } = config;
  read.require(
    auth.defaultAllowedUserRoles.includes(auth.defaultUserRole),
    `DEFAULT_ALLOWED_USER_ROLES: must include DEFAULT_USER_ROLE "${auth.defaultUserRole}"`,
  );
  read.require(
    auth.defaultAllowedUserRoles.every((role) => auth.allowedUserRoles.includes(role)),
    "ALLOWED_USER_ROLES: must include every role of DEFAULT_ALLOWED_USER_ROLES",
  );
  const needsActivationMail = auth.verifyEmails && !auth.autoActivateNewUsers;
  read.require(
    !needsActivationMail || auth.redirectUrlSuccess !== null,
    "REDIRECT_URL_SUCCESS: required when VERIFY_EMAILS=true and AUTO_ACTIVATE_NEW_USERS=false (activation links redirect there)",
  );
  read.require(
    !auth.magicLinkEnabled || auth.redirectUrlSuccess !== null,
    "REDIRECT_URL_SUCCESS: required when MAGIC_LINK_ENABLED=true (magic links redirect there)",
  );
  read.require(
    !auth.userImpersonationEnabled || auth.adminSecret !== null,
    "ADMIN_SECRET: required when USER_IMPERSONATION_ENABLED=true (impersonation is authorised by it)",
  );
  read.require(auth.adminSecret === null || auth.adminSecret.length >= 16, "ADMIN_SECRET: must be at least 16 characters");
  // The credential is the only thing between the internet and every account: no rate limit stands in front of it.
  read.require(
    config.faroe.credential === null || config.faroe.credential.length >= 16,
    "FAROE_CREDENTIAL: must be at least 16 characters",
  );
  read.require(
    (config.lncrawl.adminLogin === null) === (config.lncrawl.adminPassword === null),
    "ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither",
  );
  read.require(
    !needsActivationMail || mail.enabled,
    "EMAILS_ENABLED: must not be false when VERIFY_EMAILS=true and AUTO_ACTIVATE_NEW_USERS=false (activation needs mail)",
  );
  read.require(cookies.secret === null || cookies.secret.length >= 16, "COOKIE_SECRET: must be at least 16 characters");
  read.require(config.metrics.token === null || config.metrics.token.length >= 16, "METRICS_TOKEN: must be at least 16 characters");
  read.require(cookies.sameSite !== "None" || cookies.secure, "COOKIE_SAME_SITE: None needs COOKIE_SECURE=true or an https PUBLIC_URL (browsers drop it otherwise)");
  for (const field of [...auth.registrationCustomFields, ...jwt.customFields]) {
    read.require(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(field), `REGISTRATION_CUSTOM_FIELDS/JWT_CUSTOM_FIELDS: "${field}" is not a field name`);
  }

  if (config.backup.intervalSeconds !== null || config.backup.cron !== null) {
    read.require(config.backup.target !== null, "BACKUP_SCHEDULE: needs BACKUP_URL, the folder or s3:// URL the backups go to");
    read.require(
      config.database.url === null,
      "BACKUP_SCHEDULE: latchkey backs up its SQLite database only; with DATABASE_URL back PostgreSQL up with pg_dump (README \"Backups\")",
    );
  }

  // Every account gets these roles at sign-up: with `admin` among them, anyone who signs up is a console administrator.
  read.require(
    !config.console.enabled || !auth.defaultAllowedUserRoles.includes("admin"),
    "DEFAULT_ALLOWED_USER_ROLES: must not include admin while the console is on (everyone who signs up would administer latchkey); remove it, or set CONSOLE_ENABLED=false",
  );
  read.require(
    config.mailhog.apiPort === null || config.mailhog.apiPort !== port,
    "MAILHOG_API_PORT: must differ from PORT (the MailHog API has its own port, on 127.0.0.1 only)",
  );
  for (const problem of mountConflicts(config)) read.require(false, problem);

  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return deepFreeze(config);
}
