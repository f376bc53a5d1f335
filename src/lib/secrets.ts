// Random values, digests and comparisons for secrets. One place, so every dialect gets the same guarantees.
import { timingSafeEqual } from "node:crypto";

/** A uuid v4: 122 random bits. HBP's refresh tokens and tickets have this shape on the wire. */
export function randomUuid(): string {
  return crypto.randomUUID();
}

/** `bytes` random bytes as base64url (e.g. 32 bytes = 256 bits). */
export function randomToken(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

/**
 * SHA-256 of a high-entropy secret, hex. Tokens and tickets are stored only as this digest, so a leaked
 * database does not hand out sessions. (A fast hash is right here: the input has >=122 bits of entropy.)
 */
export function sha256Hex(value: string): string {
  return new Bun.CryptoHasher("sha256").update(value).digest("hex");
}

/** Constant-time string comparison, against timing attacks on secrets. Lengths may leak; contents do not. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
