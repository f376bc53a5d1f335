// The console API's one error shape, `{error: {code, message}}`, and the one mapping from core's codes to it. Codes
// are stable snake_case (core's where the refusal is core's); messages are for the administrator reading them.
import { t, ValidationError } from "elysia";
import { CoreError, type CoreErrorCode } from "../../core/errors.ts";
import { badInputOf, type BadInputError } from "../../http/bad-input.ts";
import type { Logger } from "../../lib/logger.ts";
import { StorageError, type StorageErrorCode } from "../../storage/errors.ts";

export const consoleErrorSchema = t.Object(
  {
    error: t.Object(
      { code: t.String({ description: "A stable code, e.g. `unauthenticated`, `csrf_token_invalid`, `user_not_found`" }), message: t.String() },
      { additionalProperties: false },
    ),
  },
  { $id: "ConsoleError", additionalProperties: false, description: "The console API's error: a stable code and a message" },
);

export class ConsoleError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notSignedIn = () => new ConsoleError(401, "unauthenticated", "Sign in to the console first (POST /console/api/session).");

const CORE_ERRORS: Partial<Record<CoreErrorCode, [number, string]>> = {
  invalid_credentials: [401, "Wrong email or password."],
  invalid_console_session: [401, "Not signed in, or the console session is over: sign in again."],
  invalid_ticket: [401, "The sign-in ticket is unknown, used or expired: start again with the password."],
  invalid_totp_code: [401, "Wrong two-factor code."],
  invalid_passkey: [401, "The passkey's answer was refused: sign in again."],
  account_disabled: [403, "The account is disabled."],
  account_inactive: [403, "The account is not activated."],
  not_an_administrator: [403, "This account is not an administrator (it has no admin role)."],
  second_factor_required: [403, "CONSOLE_REQUIRE_MFA: set up a second factor (TOTP or a passkey) for this account before signing in to the console."],
  rate_limited: [429, "Too many tries; Retry-After says when to try again."],
  user_not_found: [404, "No such account."],
  session_not_found: [404, "No such live session of this account."],
  invalid_cursor: [400, "The cursor is not one this list handed out."],
  email_taken: [409, "An account with this address exists already."],
  email_taken_inactive: [409, "An account with this address exists already (not activated)."],
  username_taken: [409, "An account with this username exists already."],
  email_domain_not_allowed: [400, "The address is not at a domain of ALLOWED_EMAIL_DOMAINS."],
  password_too_short: [400, "The password is shorter than MIN_PASSWORD_LENGTH."],
  password_too_long: [400, "The password is longer than 128 characters."],
  password_breached: [400, "The password has appeared in a data breach (HIBP_ENABLED); choose another."],
  role_not_allowed: [400, "A role is not one of ALLOWED_USER_ROLES (or admin)."],
  default_role_not_allowed: [400, "The account's default role must stay: every token names it."],
  account_has_no_email: [409, "The account has no email address to mail."],
  account_already_active: [409, "The account is active already: it needs no activation mail."],
  passkey_not_found: [404, "No such passkey of this account."],
  identity_not_found: [404, "This account has no identity at this provider."],
  mail_not_found: [404, "No mail with this id was given up (only those are retried)."],
  last_sign_in_method: [409, "This is the account's last way to sign in: disable or delete the account instead."],
};

function fromCoreError(error: CoreError): ConsoleError {
  const [status, message] = CORE_ERRORS[error.code] ?? [400, "The request was refused."];
  const retryAfter = error.meta.retryAfterSeconds;
  return new ConsoleError(status, error.code, message, retryAfter === undefined ? {} : { "retry-after": String(retryAfter) });
}

/** Storage's refusals the console's file routes can meet (the rules are not asked: no forbidden or no_rule). */
const STORAGE_ERRORS: Partial<Record<StorageErrorCode, [number, string]>> = {
  invalid_path: [400, "Not a valid file or folder key."],
  not_found: [404, "No such file."],
  invalid_cursor: [400, "The cursor is not one this list handed out."],
  unsupported_image: [415, "Only JPEG, PNG and WebP images have thumbnails."],
  corrupt_image: [422, "The image could not be decoded."],
  image_too_large: [422, "The image has more pixels than IMAGE_MAX_PIXELS."],
  transform_busy: [503, "Too many image transforms at once; retry shortly."],
  store_unavailable: [502, "The file store (S3) did not answer; try again later."],
  store_failed: [502, "The file store (S3) failed or did not answer; try again later."],
};

function fromStorageError(error: StorageError): ConsoleError {
  const [status, message] = STORAGE_ERRORS[error.code] ?? [400, "The request was refused."];
  const code = error.code === "not_found" ? "file_not_found" : error.code;
  const retryAfter = error.meta.retryAfterSeconds;
  return new ConsoleError(status, code, error.code === "invalid_path" && error.detail ? error.detail : message, retryAfter === undefined ? {} : { "retry-after": String(retryAfter) });
}

function fromBadInput(error: BadInputError): ConsoleError {
  if (error.reason === "too_large") return new ConsoleError(413, "payload_too_large", error.message);
  if (error.reason === "unsupported_type") return new ConsoleError(415, "unsupported_media_type", error.message);
  return new ConsoleError(400, "invalid_request", error.message);
}

/** `email: Expected string format 'email'`: where the first problem is, and what it is (never the value sent). */
function validationMessage(error: ValidationError): string {
  const first = error.valueError;
  if (!first) return "The request does not match its schema.";
  const field = first.path.replace(/^\//, "").replace(/\//g, ".") || error.type;
  return first.value === undefined ? `${field}: required` : `${field}: ${first.message}`;
}

export function consoleErrorResponse(code: string | number, error: unknown, logger: Logger): Response {
  let mapped: ConsoleError | null = null;
  const badInput = badInputOf(error);
  if (badInput) mapped = fromBadInput(badInput);
  else if (error instanceof ConsoleError) mapped = error;
  else if (error instanceof Error && error.cause instanceof ConsoleError) mapped = error.cause;
  else if (error instanceof CoreError) mapped = fromCoreError(error);
  else if (error instanceof StorageError) mapped = fromStorageError(error);
  else if (error instanceof ValidationError) mapped = new ConsoleError(400, "invalid_request", validationMessage(error));
  else if (code === "PARSE") mapped = new ConsoleError(400, "invalid_request", "The body could not be parsed.");
  else if (code === "NOT_FOUND") mapped = new ConsoleError(404, "not_found", "No such console API route.");
  if (!mapped) {
    logger.error("unhandled error", { kind: code, error });
    mapped = new ConsoleError(500, "internal_error", "Something went wrong; the server's log says what.");
  }
  return Response.json(
    { error: { code: mapped.code, message: mapped.message } },
    { status: mapped.status, headers: { ...NO_STORE, ...mapped.headers } },
  );
}

/** What every console answer carries: nothing of it may sit in a cache, and no browser may guess its type. */
export const NO_STORE: Record<string, string> = { "cache-control": "no-store", "x-content-type-options": "nosniff" };
