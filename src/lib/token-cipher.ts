// Encryption at rest for secrets latchkey must give back later (a provider's access and refresh tokens, kept only
// with PROVIDER_KEEP_TOKENS=true), where a digest will not do. AES-256-GCM: each value gets a fresh 96-bit IV, and
// its 128-bit tag makes a changed or swapped ciphertext fail to open instead of opening to something else. The key
// is derived with HKDF-SHA256 from a server secret (the cookie secret) and a purpose, so one secret yields
// independent keys, and none of them is the cookie-signing key itself. A stolen database alone opens nothing; the
// secret (COOKIE_SECRET, or the generated one in the database: README "Security") is what protects these values.
//
// Stored as `v1.<iv>.<ciphertext and tag>`, base64url: the version says which scheme a later one must still read.
import { createCipheriv, createDecipheriv, hkdfSync } from "node:crypto";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface TokenCipher {
  /** The value sealed: `v1.<iv>.<ciphertext+tag>`. */
  seal(plaintext: string): string;
  /** The value back; throws when it was sealed with another key, or changed. */
  open(sealed: string): string;
}

export function createTokenCipher(options: {
  /** The server secret the key is derived from (at least 16 characters, as COOKIE_SECRET). */
  secret: string;
  /** What the key is for (HKDF's info): each purpose gets its own key. */
  purpose: string;
  /** Random bytes for the IVs (lib/random.ts's, injected). */
  randomBytes: (count: number) => Uint8Array;
}): TokenCipher {
  const key = Buffer.from(hkdfSync("sha256", options.secret, "latchkey token cipher", options.purpose, 32));

  return {
    seal(plaintext) {
      const iv = options.randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${Buffer.from(iv).toString("base64url")}.${body.toString("base64url")}`;
    },

    open(sealed) {
      const [version, ivText, bodyText, ...rest] = sealed.split(".");
      if (version !== VERSION || ivText === undefined || bodyText === undefined || rest.length > 0) throw new Error("not a sealed value");
      const iv = Buffer.from(ivText, "base64url");
      const body = Buffer.from(bodyText, "base64url");
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error("not a sealed value");
      const decipher = createDecipheriv("aes-256-gcm", key, iv);
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    },
  };
}
