// The access tokens' signing (core/sessions/jwt.ts, signing-keys.ts): which algorithm, which key, how long tokens and
// refresh tokens live, and what the Hasura claims carry. Read by config.ts into `jwt`.
import type { Reader } from "./config-reader.ts";

export const HMAC_ALGORITHMS = ["HS256", "HS384", "HS512"] as const;
export const ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "EdDSA"] as const;
export const JWT_ALGORITHMS = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS] as const;
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export function isHmacAlgorithm(algorithm: JwtAlgorithm): algorithm is HmacAlgorithm {
  return (HMAC_ALGORITHMS as readonly string[]).includes(algorithm);
}

export interface JwtSettings {
  /** HMAC secret, or PEM private key for RS*, ES256, EdDSA. null: generated once and kept in the data directory. */
  key: string | null;
  /** A key being rotated out: tokens it signed still verify, none are signed with it (JWT_PREVIOUS_KEY). */
  previousKey: string | null;
  algorithm: JwtAlgorithm;
  claimsNamespace: string;
  expiresInMinutes: number;
  refreshExpiresInMinutes: number;
  customFields: string[];
}

export function readJwtSettings(read: Reader): JwtSettings {
  const jwt: JwtSettings = {
    // HBP lets a PEM arrive with literal \n escapes in one-line environments.
    key: read.optionalString("JWT_KEY")?.replace(/\\n/g, "\n") ?? null,
    previousKey: read.optionalString("JWT_PREVIOUS_KEY")?.replace(/\\n/g, "\n") ?? null,
    // HBP defaults to RS256; seed 000 recommends HS512, which needs no key pair (decision 9).
    algorithm: read.oneOf("JWT_ALGORITHM", JWT_ALGORITHMS, "HS512"),
    claimsNamespace: read.string("JWT_CLAIMS_NAMESPACE", "https://hasura.io/jwt/claims"),
    expiresInMinutes: read.number("JWT_EXPIRES_IN", 15, { min: 1, max: 525600, integer: true }),
    refreshExpiresInMinutes: read.number("JWT_REFRESH_EXPIRES_IN", 43200, { min: 1, max: 5256000, integer: true }),
    customFields: read.list("JWT_CUSTOM_FIELDS", []),
  };
  // PEM keys of the asymmetric algorithms are parsed (and refused, naming the variable) in core/sessions/signing-keys.ts.
  if (isHmacAlgorithm(jwt.algorithm)) {
    read.require(jwt.key === null || jwt.key.length >= 32, "JWT_KEY: an HMAC key must be at least 32 characters");
    read.require(
      jwt.previousKey === null || jwt.previousKey.length >= 32,
      "JWT_PREVIOUS_KEY: an HMAC key must be at least 32 characters",
    );
  }
  return jwt;
}
