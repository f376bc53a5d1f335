// WolfPal's answers: `{code, error}` for errors, `{codes:{field:CODE}, errors:{field:msg}}` for validation
// (spec/wolfpal.md), and the one mapping from core's codes.
import { t } from "elysia";
import type { CoreError, CoreErrorCode } from "../../core/errors.ts";
import { CoreError as CoreErrorClass } from "../../core/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { badInputOf, type BadInputError } from "../../http/bad-input.ts";

export class WolfpalError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const FIELD_CODES = ["REQUIRED", "INVALID", "INVALID_CHARACTERS", "NOT_LONG_ENOUGH"] as const;

export type FieldCode = (typeof FIELD_CODES)[number];

/** WolfPal's answers that are not errors say what happened the same way: a code, and a message under `error`... */
export const noticeSchema = t.Object({ code: t.String(), error: t.String() }, { additionalProperties: false });
/** ... or under `message`, depending on the route (as WolfPal's own server does). */
export const messageSchema = t.Object({ code: t.String(), message: t.String() }, { additionalProperties: false });

/** WolfPal's errors: `{code, error}`, or a validation answer naming every failing field (login and two-factor add `code: 400`). */
export const wolfpalErrorSchema = t.Union([
  noticeSchema,
  t.Object(
    {
      code: t.Optional(t.Literal(400)),
      codes: t.Record(t.String(), t.Union(FIELD_CODES.map((code) => t.Literal(code)))),
      errors: t.Record(t.String(), t.String()),
    },
    { additionalProperties: false },
  ),
], { $id: "WolfpalError" });

export class WolfpalValidationError extends Error {
  constructor(
    readonly codes: Record<string, FieldCode>,
    readonly errors: Record<string, string>,
    /** Login and two-factor add `code: 400` to the body. */
    readonly withCode: boolean,
  ) {
    super("validation failed");
  }
}

export const INVALID_CREDENTIALS_MESSAGE = "Either email or password is invalid. ";

const CORE_ERRORS: Partial<Record<CoreErrorCode, [number, string, string]>> = {
  invalid_credentials: [400, "INVALID_CREDENTIALS", INVALID_CREDENTIALS_MESSAGE],
  email_taken: [409, "ALREADY_EXISTS", "This username or email already exists."],
  email_taken_inactive: [409, "ALREADY_EXISTS", "This username or email already exists."],
  username_taken: [409, "ALREADY_EXISTS", "This username or email already exists."],
  email_domain_not_allowed: [400, "INVALID", "This email domain is not allowed."],
  registration_closed: [409, "REGISTRATION_DISABLED", "Currently registration are disabled."],
  // latchkey's password policy, beyond WolfPal's own 8 to 56 characters (MIN_PASSWORD_LENGTH, HIBP_ENABLED).
  password_too_short: [400, "NOT_LONG_ENOUGH", "The password is too short."],
  password_too_long: [400, "INVALID", "The password is too long."],
  password_breached: [400, "INVALID", "This password has appeared in a data breach; choose another."],
  account_inactive: [400, "PENDING_CONFIRMATION", "Your account must be activated before you can do that."],
  account_disabled: [403, "ACCOUNT_DISABLED", "This account is disabled."],
  invalid_refresh_token: [401, "UNAUTHORIZED", "Unauthorized"],
  invalid_ticket: [400, "EXPIRED_OR_ALREADY_USED", "This token is expired or has already been used."],
  invalid_totp_code: [401, "INVALID_TWO_FACTOR_CODE", "The two factor code is invalid."],
  mfa_secret_missing: [400, "TWO_FACTOR_NOT_INITIALIZE", "Two factor has not been set up; create it first."],
  mfa_already_enabled: [400, "TWO_FACTOR_ENABLED", "Two factor is already enabled."],
  mfa_not_enabled: [400, "TWO_FACTOR_NOT_INITIALIZE", "Two factor is not enabled."],
  incorrect_current_password: [400, "INVALID_CREDENTIALS", "The password is invalid."],
  rate_limited: [429, "TOO_MANY_REQUESTS", "Too many requests; try again later."],
};

export function fromCoreError(error: CoreError): WolfpalError {
  const [status, code, message] = CORE_ERRORS[error.code] ?? [400, "BAD_REQUEST", "The request could not be completed."];
  const retryAfter = error.meta.retryAfterSeconds;
  return new WolfpalError(status, code, message, retryAfter === undefined ? {} : { "retry-after": String(retryAfter) });
}

/** Input refused at the edge (src/http), with the edge's message. */
function fromBadInput(error: BadInputError): WolfpalError {
  if (error.reason === "too_large") return new WolfpalError(413, "PAYLOAD_TOO_LARGE", error.message);
  if (error.reason === "unsupported_type") return new WolfpalError(415, "UNSUPPORTED_MEDIA_TYPE", error.message);
  return new WolfpalError(400, "INVALID", error.message);
}

export const NOT_FOUND_BODY = { code: 404, error: "Whoops, this resource or route could not be found" };

export function wolfpalErrorResponse(code: string | number, error: unknown, logger: Logger): Response {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof WolfpalValidationError) {
    const body = { ...(cause.withCode ? { code: 400 } : {}), codes: cause.codes, errors: cause.errors };
    return Response.json(body, { status: 400 });
  }
  let mapped: WolfpalError | null = null;
  const badInput = badInputOf(error);
  if (badInput) mapped = fromBadInput(badInput);
  else if (cause instanceof WolfpalError) mapped = cause;
  else if (cause instanceof CoreErrorClass) mapped = fromCoreError(cause);
  else if (code === "PARSE") mapped = new WolfpalError(400, "INVALID", "The request body could not be read.");
  else if (code === "NOT_FOUND") return Response.json(NOT_FOUND_BODY, { status: 404 });
  if (!mapped) {
    logger.error("unhandled error", { kind: code, error });
    mapped = new WolfpalError(500, "INTERNAL_SERVER_ERROR", "Internal Server Error.");
  }
  return Response.json({ code: mapped.code, error: mapped.message }, { status: mapped.status, headers: mapped.headers });
}
