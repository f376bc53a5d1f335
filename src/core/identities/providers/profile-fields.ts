// Reading a provider's answer into a ProviderProfile's fields: each answer is untrusted JSON, so every field is
// checked for its type, and one that is missing or malformed becomes null (or, for the subject, a ProviderError).
import { ProviderError } from "../provider.ts";

/** RFC 5321's longest path, less the brackets: a longer "address" is no address. */
const MAX_EMAIL_LENGTH = 254;

/** The provider's id of the account: a non-empty string, or a whole number (GitHub's, Facebook's) as text. */
export function subjectOf(value: unknown): string {
  if (typeof value === "string" && value.trim() !== "" && value.length <= 255) return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  throw new ProviderError("profile_incomplete", "the provider gave no account id");
}

/** An address, trimmed and lower-cased; null when missing or not shaped like one (one "@", text both sides). */
export function emailOf(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const email = value.trim().toLowerCase();
  return email.length <= MAX_EMAIL_LENGTH && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null;
}

/** A claim that says yes: JSON's true, or the string "true" (Apple sends `email_verified` as either). */
export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

/** Non-empty text, trimmed, at most `maxLength` characters; null otherwise. */
export function textOf(value: unknown, maxLength = 255): string | null {
  if (typeof value !== "string") return null;
  const text = value.trim();
  return text === "" ? null : text.slice(0, maxLength);
}

/** An http(s) URL (an avatar), or null: a `javascript:` or `data:` URL is not shown to anyone. */
export function httpUrlOf(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 2048 || !URL.canParse(value)) return null;
  return /^https?:$/.test(new URL(value).protocol) ? value : null;
}
