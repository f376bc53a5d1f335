// Digests and comparisons for secrets. One place, so every dialect gets the same guarantees.
import { timingSafeEqual } from "node:crypto";

/**
 * SHA-256 of a high-entropy secret, hex. Tokens and tickets are stored only as this digest, so a leaked
 * database does not hand out sessions. (A fast hash is right here: the input has >=122 bits of entropy.)
 */
export function sha256Hex(value: string): string {
  // Bun's one-shot SHA-256, not a CryptoHasher object made and dropped per digest (a refresh takes two): same digest.
  return Bun.SHA256.hash(value, "hex");
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
