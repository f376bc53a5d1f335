// Faroe's rules for the fields it takes: the checks that have their own error codes (schemas give INVALID_DATA).
import { expected, type FaroeErrorCode } from "./errors.ts";

/** Faroe's address check: shorter than 256 characters and shaped like `a@b.c`. */
const EMAIL_PATTERN = /^.+@.+\..+$/;
/** Faroe's limits: at least 8 characters, at most 255 bytes. */
const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_BYTES = 255;

export function checkEmail(email: string): void {
  if (email.length >= 256 || !EMAIL_PATTERN.test(email)) throw expected("INVALID_EMAIL");
}

export function isTooLarge(password: string): boolean {
  return Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES;
}

/**
 * Faroe's own rules for a new password, before core's registration policy (MIN_PASSWORD_LENGTH, at most 128
 * characters so the password also works through HBP, the breached-password check when HIBP_ENABLED), which core
 * applies when the password is set: too large (the route's code: PASSWORD_TOO_LARGE, or INVALID_DATA where Faroe
 * documents that), WEAK_PASSWORD under 8 characters whatever MIN_PASSWORD_LENGTH says.
 */
export function checkNewPassword(password: string, tooLarge: FaroeErrorCode): void {
  if (isTooLarge(password)) throw expected(tooLarge);
  if (password.length < MIN_PASSWORD_LENGTH) throw expected("WEAK_PASSWORD");
}
