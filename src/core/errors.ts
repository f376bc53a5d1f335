// Every way a domain action can fail, as one closed set of stable codes.
// Core throws these; each dialect maps them to its own wire shape in apis/<dialect>/errors.ts.
export type CoreErrorCode =
  | "email_taken"
  | "email_taken_inactive"
  | "username_taken"
  | "email_domain_not_allowed"
  /** REGISTRATION_ENABLED=false, and someone tried to sign themselves up. */
  | "registration_closed"
  | "password_too_short"
  | "password_too_long"
  | "role_not_allowed"
  | "default_role_not_allowed"
  | "custom_field_not_allowed"
  | "invalid_credentials"
  | "account_inactive"
  | "account_disabled"
  | "invalid_refresh_token"
  | "invalid_ticket"
  | "user_not_found"
  | "rate_limited"
  | "incorrect_current_password"
  | "email_unavailable"
  | "invalid_admin_secret"
  | "mfa_already_enabled"
  | "mfa_not_enabled"
  | "mfa_secret_missing"
  | "invalid_totp_code"
  /** The user has a second factor and this way of signing in cannot ask for it. */
  | "mfa_required"
  /** A new password is in a known breach (HIBP_ENABLED). */
  | "password_breached"
  /** A wrong email-verification, password-reset or recovery code. */
  | "incorrect_code"
  /** An email-verification or password-reset request that does not exist (any more) or has expired. */
  | "request_not_found"
  /** A password reset whose request has not yet proved the address. */
  | "reset_email_not_verified"
  /** A password reset of a user with TOTP whose request has not yet proved the second factor. */
  | "reset_second_factor_not_verified"
  /** A TOTP key of the wrong size. */
  | "invalid_totp_secret"
  | "invalid_api_token"
  | "api_token_expired"
  | "invalid_otp"
  | "email_already_verified"
  /** Removing this provider identity or passkey would leave the account no way to sign in. */
  | "last_sign_in_method"
  /** A provider's address belongs to an account it may not join (unverified, or PROVIDER_LINK_BY_EMAIL=false). */
  | "email_in_use"
  /** The provider identity belongs to another account. */
  | "identity_in_use"
  /** The account has another identity at this provider already. */
  | "provider_already_linked"
  /** The account has no identity at this provider. */
  | "identity_not_found"
  /** A `redirect_to` that is not on REDIRECT_URL_ALLOWLIST. */
  | "redirect_not_allowed"
  /** The admin console: no console session, or one that is over (idle or past its 8 hours). */
  | "invalid_console_session"
  /** The admin console: the account has no `admin` role. */
  | "not_an_administrator"
  /** The admin console: CONSOLE_REQUIRE_MFA is on and the administrator has no second factor to sign in with. */
  | "second_factor_required"
  /** A paging cursor that is not one this list handed out. */
  | "invalid_cursor"
  /** The admin console: no such session of this account. */
  | "session_not_found"
  /** A mail to the account was asked for, and it has no address. */
  | "account_has_no_email"
  /** An activation mail was asked for an account that is active already. */
  | "account_already_active"
  /** The admin console: no such passkey of this account. */
  | "passkey_not_found"
  /** The admin console: no mail with this id that was given up (only those are retried). */
  | "mail_not_found"
  /**
   * A passkey ceremony's answer that does not verify: its challenge unknown, used, expired or another flow's, the
   * credential unknown or someone else's, the origin, RP ID, signature or counter wrong (core/second-factors/passkeys.ts).
   */
  | "invalid_passkey";

export class CoreError extends Error {
  constructor(
    readonly code: CoreErrorCode,
    /** For the log only; never sent to clients. */
    readonly detail?: string,
    /** Facts a transport may show, e.g. when to retry. */
    readonly meta: { retryAfterSeconds?: number } = {},
  ) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = "CoreError";
  }
}

export function isCoreError(error: unknown, code?: CoreErrorCode): error is CoreError {
  return error instanceof CoreError && (code === undefined || error.code === code);
}
