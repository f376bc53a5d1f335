// HBP's error shape, Boom's `{statusCode, error, message}` (spec/hbp.md §7), and the one mapping from core's codes.
import { t, ValidationError } from "elysia";
import { STATUS_CODES } from "node:http";
import type { CoreError, CoreErrorCode } from "../../core/errors.ts";
import type { BadInputError } from "../../http/bad-input.ts";
import { integer } from "../route-docs.ts";

export const hbpErrorSchema = t.Object(
  { statusCode: integer(), error: t.String({ description: "The status's reason phrase" }), message: t.String() },
  { $id: "HbpError", additionalProperties: false, description: "HBP's error (Boom's shape)" },
);

export type HbpErrorBody = typeof hbpErrorSchema.static;

/** An answer in HBP's shape, thrown by handlers and guards. */
export class HbpError extends Error {
  constructor(
    readonly status: number,
    message?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? STATUS_CODES[status] ?? "Error");
  }

  get body(): HbpErrorBody {
    return hbpErrorBody(this.status, this.message);
  }
}

export function hbpErrorBody(status: number, message?: string): HbpErrorBody {
  const reason = STATUS_CODES[status] ?? "Error";
  // Boom hides the message of every 500; so do we (the cause goes to the log).
  if (status === 500) return { statusCode: 500, error: reason, message: "An internal server error occurred" };
  return { statusCode: status, error: reason, message: message ?? reason };
}

/** Decision 5: a route whose feature is off is a 404 that says how to turn it on. */
export function featureDisabled(what: string, flag: string): HbpError {
  return new HbpError(404, `${what} is disabled; set ${flag}=true`);
}

const CORE_ERRORS: Record<CoreErrorCode, [number, string]> = {
  email_taken: [400, "Account already exists."],
  email_taken_inactive: [400, "Account already exists but is not activated."],
  username_taken: [400, "Account already exists."],
  email_domain_not_allowed: [400, '"email" is not in an allowed domain'],
  registration_closed: [403, "Registration is closed."],
  password_too_short: [400, '"password" is too short'],
  password_too_long: [400, '"password" length must be less than or equal to 128 characters long'],
  role_not_allowed: [400, "allowed roles must be a subset of ALLOWED_ROLES"],
  default_role_not_allowed: [400, "Default role must be part of allowed roles."],
  custom_field_not_allowed: [400, '"user_data" has a field that is not allowed'],
  invalid_credentials: [401, "Username and password do not match"],
  account_inactive: [400, "Account is not activated."],
  account_disabled: [401, "Account is disabled."],
  invalid_refresh_token: [401, "Invalid or expired refresh token."],
  invalid_ticket: [401, "Invalid or expired ticket."],
  user_not_found: [401, "Invalid user."],
  // The shape of HBP's express-rate-limit answer.
  rate_limited: [429, "You are being rate limited."],
  incorrect_current_password: [401, "Incorrect current password."],
  email_unavailable: [400, "Cannot use this email."],
  invalid_admin_secret: [401, "Invalid x-admin-secret"],
  mfa_already_enabled: [400, "MFA is already enabled."],
  mfa_not_enabled: [400, "MFA is not enabled."],
  mfa_secret_missing: [400, "OTP secret is not set."],
  invalid_totp_code: [401, "Invalid two-factor code."],
  mfa_required: [401, "Two-factor authentication is enabled for this account; sign in with the password and a code."],
  password_breached: [400, "This password has appeared in a data breach; choose another."],
  // Raised by Faroe's flows; HBP has no route that raises them.
  incorrect_code: [401, "Invalid code."],
  request_not_found: [404, "Request not found or expired."],
  reset_email_not_verified: [400, "The email address of this reset request is not verified."],
  reset_second_factor_not_verified: [400, "The second factor of this reset request is not verified."],
  invalid_totp_secret: [400, "Invalid TOTP secret."],
  // Codes of other dialects' flows; HBP has no route that raises them.
  invalid_api_token: [401, "Invalid token."],
  api_token_expired: [401, "Token expired."],
  invalid_otp: [401, "Invalid code."],
  email_already_verified: [400, "Email is already verified."],
  last_sign_in_method: [409, "This is the account's last way to sign in; add another before removing it."],
  // The admin console's codes (apis/console/); HBP has no route that raises them.
  invalid_console_session: [401, "Not signed in to the console."],
  not_an_administrator: [403, "Not an administrator."],
  second_factor_required: [403, "A second factor is required."],
  invalid_cursor: [400, "Invalid cursor."],
  session_not_found: [404, "Session not found."],
  account_has_no_email: [400, "The account has no email address."],
  account_already_active: [400, "The account is active already."],
  passkey_not_found: [404, "Passkey not found."],
  mail_not_found: [404, "Mail not found."],
  invalid_passkey: [401, "Invalid or expired passkey response."],
  // The provider flow answers these by its failure redirect (providers.ts); the JSON form is for completeness.
  email_in_use: [409, "This email address belongs to another account."],
  identity_in_use: [409, "This provider account is linked to another account."],
  provider_already_linked: [409, "The account is linked to another account of this provider already."],
  identity_not_found: [404, "The account is not linked to this provider."],
  redirect_not_allowed: [400, '"redirect_to" is not an allowed redirect URL (REDIRECT_URL_ALLOWLIST)'],
};

export function fromCoreError(error: CoreError): HbpError {
  const [status, message] = CORE_ERRORS[error.code];
  const retryAfter = error.meta.retryAfterSeconds;
  return new HbpError(status, message, retryAfter === undefined ? {} : { "retry-after": String(retryAfter) });
}

/** Input refused at the edge (src/http): 413 for a body too large, 400 for the rest, with the edge's message. */
export function fromBadInput(error: BadInputError): HbpError {
  return new HbpError(error.reason === "too_large" ? 413 : 400, error.message);
}

/** Joi-like text for a schema failure, e.g. `"email" is required`, `"cookie" must be a boolean`. */
export function validationMessage(error: ValidationError): string {
  const first = error.valueError;
  if (!first) return "Invalid request";
  const field = first.path.replace(/^\//, "").replace(/\//g, ".");
  if (field === "") return "The request body must be a JSON object.";
  if (first.message.includes("additional") || first.message.includes("Unexpected property")) return `"${field}" is not allowed`;
  if (first.value === undefined) return `"${field}" is required`;
  const schema = first.schema as { type?: string; format?: string; maxLength?: number; minLength?: number };
  if (schema.type && !hasJsonType(first.value, schema.type)) return `"${field}" must be ${article(schema.type)}`;
  if (schema.format === "email") return `"${field}" must be a valid email`;
  if (schema.maxLength !== undefined && typeof first.value === "string" && first.value.length > schema.maxLength) {
    return `"${field}" length must be less than or equal to ${schema.maxLength} characters long`;
  }
  if (schema.minLength !== undefined && typeof first.value === "string" && first.value.length < schema.minLength) {
    return `"${field}" length must be at least ${schema.minLength} characters long`;
  }
  return `"${field}" is invalid`;
}

function hasJsonType(value: unknown, type: string): boolean {
  if (type === "integer") return Number.isInteger(value);
  if (type === "array") return Array.isArray(value);
  if (type === "object") return typeof value === "object" && value !== null && !Array.isArray(value);
  if (type === "null") return value === null;
  return typeof value === type;
}

function article(type: string): string {
  const name = type === "integer" ? "whole number" : type;
  return /^[aeiou]/.test(name) ? `an ${name}` : `a ${name}`;
}
