// lncrawl's error shape `{error, detail}` (spec/lncrawl.md), and the one mapping from core's codes.
import { t, ValidationError } from "elysia";
import type { CoreError, CoreErrorCode } from "../../core/errors.ts";
import { CoreError as CoreErrorClass } from "../../core/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import { badInputOf, type BadInputError } from "../../http/bad-input.ts";

export const lncrawlErrorSchema = t.Object(
  { error: t.String(), detail: t.Nullable(t.String()) },
  { $id: "LncrawlError", additionalProperties: false, description: "lncrawl's error: a message, and what was wrong where it says" },
);

export class LncrawlError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const SECOND_FACTOR_DETAIL = "This API has no second-factor step; sign in through one that has (HBP's /auth/login).";

const CORE_ERRORS: Partial<Record<CoreErrorCode, [number, string, string?]>> = {
  invalid_credentials: [401, "Unauthorized"],
  incorrect_current_password: [401, "Wrong password"],
  account_inactive: [403, "User is inactive"],
  account_disabled: [403, "User is inactive"],
  email_taken: [409, "User already exists"],
  email_taken_inactive: [409, "User already exists"],
  username_taken: [409, "User already exists"],
  email_domain_not_allowed: [422, "Validation error", "email: this domain is not allowed"],
  password_too_short: [422, "Validation error", "password: too short"],
  password_too_long: [422, "Validation error", "password: too long"],
  password_breached: [422, "Validation error", "password: it has appeared in a data breach; choose another"],
  registration_closed: [403, "Registration is closed"],
  invalid_api_token: [403, "Invalid token"],
  api_token_expired: [403, "Token expired"],
  invalid_otp: [403, "Wrong OTP"],
  invalid_ticket: [401, "Invalid or expired token"],
  email_already_verified: [409, "Email is already verified"],
  mfa_required: [403, "Two-factor authentication is enabled for this account", SECOND_FACTOR_DETAIL],
  rate_limited: [429, "Too many requests"],
  user_not_found: [401, "Unauthorized"],
};

export function fromCoreError(error: CoreError): LncrawlError {
  const [status, message, detail] = CORE_ERRORS[error.code] ?? [400, "Bad request"];
  const retryAfter = error.meta.retryAfterSeconds;
  return new LncrawlError(status, message, detail ?? null, retryAfter === undefined ? {} : { "retry-after": String(retryAfter) });
}

/**
 * Input refused at the edge (src/http), with the edge's message as the detail. A body that does not parse stays a
 * 422 as FastAPI answers it; too deep or with NUL or unpaired surrogates is a 400.
 */
function fromBadInput(error: BadInputError): LncrawlError {
  if (error.reason === "too_large") return new LncrawlError(413, "Request entity too large", error.message);
  if (error.reason === "unsupported_type") return new LncrawlError(415, "Unsupported media type", error.message);
  if (error.reason === "malformed") return new LncrawlError(422, "Validation error", error.message);
  return new LncrawlError(400, "Bad request", error.message);
}

function validationDetail(error: ValidationError): string {
  const first = error.valueError;
  if (!first) return "invalid request";
  const field = first.path.replace(/^\//, "").replace(/\//g, ".") || "body";
  return first.value === undefined ? `${field}: field required` : `${field}: ${first.message.toLowerCase()}`;
}

export function lncrawlErrorResponse(code: string | number, error: unknown, logger: Logger): Response {
  let mapped: LncrawlError | null = null;
  const badInput = badInputOf(error);
  if (badInput) mapped = fromBadInput(badInput);
  else if (error instanceof LncrawlError) mapped = error;
  else if (error instanceof Error && error.cause instanceof LncrawlError) mapped = error.cause;
  else if (error instanceof CoreErrorClass) mapped = fromCoreError(error);
  else if (error instanceof ValidationError) mapped = new LncrawlError(422, "Validation error", validationDetail(error));
  else if (code === "PARSE") mapped = new LncrawlError(422, "Validation error", "the body could not be parsed");
  else if (code === "NOT_FOUND") mapped = new LncrawlError(404, "Not Found");
  if (!mapped) {
    logger.error("unhandled error", { kind: code, error });
    mapped = new LncrawlError(500, "Internal Server Error");
  }
  return Response.json({ error: mapped.message, detail: mapped.detail }, { status: mapped.status, headers: mapped.headers });
}
