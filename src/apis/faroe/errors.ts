// Faroe's error shape, `{"error":"CODE"}`: 400 for every expected error, 401/404/406/415 from the transport,
// 500 UNKNOWN_ERROR for the rest. The one mapping from core's codes.
import { t } from "elysia";
import type { CoreError, CoreErrorCode } from "../../core/errors.ts";
import { isCoreError } from "../../core/errors.ts";

const FAROE_ERROR_CODES = [
  "INVALID_DATA",
  "TOO_MANY_REQUESTS",
  "INVALID_EMAIL",
  "WEAK_PASSWORD",
  "PASSWORD_TOO_LARGE",
  "EMAIL_ALREADY_USED",
  "USER_NOT_EXISTS",
  "INCORRECT_PASSWORD",
  "INCORRECT_CODE",
  "EMAIL_NOT_VERIFIED",
  "SECOND_FACTOR_NOT_VERIFIED",
  "SECOND_FACTOR_NOT_ALLOWED",
  "INVALID_REQUEST_ID",
  "NOT_FOUND",
  "NOT_AUTHENTICATED",
  "NOT_ACCEPTABLE",
  "UNSUPPORTED_MEDIA_TYPE",
  "UNKNOWN_ERROR",
] as const;

export type FaroeErrorCode = (typeof FAROE_ERROR_CODES)[number];

export const faroeErrorSchema = t.Object(
  { error: t.Union(FAROE_ERROR_CODES.map((code) => t.Literal(code))) },
  { $id: "FaroeError", additionalProperties: false, description: "Faroe's error: one code" },
);

/** An answer in Faroe's shape, thrown by handlers and guards. */
export class FaroeError extends Error {
  constructor(
    readonly status: number,
    readonly code: FaroeErrorCode,
    readonly headers: Record<string, string> = {},
  ) {
    super(code);
    this.name = "FaroeError";
  }
}

/** An expected error: always 400 in Faroe. */
export function expected(code: FaroeErrorCode): FaroeError {
  return new FaroeError(400, code);
}

export function notFound(): FaroeError {
  return new FaroeError(404, "NOT_FOUND");
}

export function faroeErrorBody(code: FaroeErrorCode): { error: FaroeErrorCode } {
  return { error: code };
}

/**
 * Core's codes as Faroe answers them by default; a route may override some (see `withErrorCodes`). Codes that no
 * Faroe route can raise (other dialects' flows) are left out on purpose and answer 500 UNKNOWN_ERROR, logged.
 */
const CORE_ERRORS = {
  email_taken: [400, "EMAIL_ALREADY_USED"],
  email_taken_inactive: [400, "EMAIL_ALREADY_USED"],
  email_unavailable: [400, "EMAIL_ALREADY_USED"],
  email_domain_not_allowed: [400, "INVALID_EMAIL"],
  password_too_short: [400, "WEAK_PASSWORD"],
  password_breached: [400, "WEAK_PASSWORD"],
  password_too_long: [400, "PASSWORD_TOO_LARGE"],
  invalid_credentials: [400, "INCORRECT_PASSWORD"],
  incorrect_current_password: [400, "INCORRECT_PASSWORD"],
  // latchkey's account states, which Faroe has no codes for: an account waiting for its activation mail has not
  // proved its address; a disabled one is as good as gone. Both are reported only after the password is proven.
  account_inactive: [400, "EMAIL_NOT_VERIFIED"],
  account_disabled: [400, "USER_NOT_EXISTS"],
  user_not_found: [404, "NOT_FOUND"],
  request_not_found: [404, "NOT_FOUND"],
  rate_limited: [400, "TOO_MANY_REQUESTS"],
  mfa_not_enabled: [400, "SECOND_FACTOR_NOT_ALLOWED"],
  invalid_totp_code: [400, "INCORRECT_CODE"],
  incorrect_code: [400, "INCORRECT_CODE"],
  invalid_totp_secret: [400, "INVALID_DATA"],
  reset_email_not_verified: [400, "EMAIL_NOT_VERIFIED"],
  reset_second_factor_not_verified: [400, "SECOND_FACTOR_NOT_VERIFIED"],
} satisfies Partial<Record<CoreErrorCode, [number, FaroeErrorCode]>>;

export function fromCoreError(error: CoreError): FaroeError | null {
  const mapped = (CORE_ERRORS as Partial<Record<CoreErrorCode, [number, FaroeErrorCode]>>)[error.code];
  if (!mapped) return null;
  const retryAfter = error.meta.retryAfterSeconds;
  return new FaroeError(mapped[0], mapped[1], retryAfter === undefined ? {} : { "retry-after": String(retryAfter) });
}

/**
 * Runs `action`, answering some core codes the way this route documents them (e.g. `user_not_found` is
 * USER_NOT_EXISTS when the user was named by an address in the body, 404 when named in the path).
 */
export async function withErrorCodes<T>(overrides: Partial<Record<CoreErrorCode, FaroeErrorCode>>, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (isCoreError(error)) {
      const code = overrides[error.code];
      if (code) throw expected(code);
    }
    throw error;
  }
}
