// Signing and verifying JWTs with the server's keys (core/sessions/signing-keys.ts), for every dialect's tokens.
// Verification pins the one configured algorithm, so `alg: none` and algorithm-confusion tokens (an HS256 token
// "signed" with the RSA public key) fail before any signature maths. Tokens of one dialect carry its audience,
// so they are refused where another kind of token is expected.
//
// HS* tokens are made and checked here with Bun's HMAC, synchronously: jose does HMAC through WebCrypto,
// importing the raw secret as a CryptoKey on every call, which capped a JWT-checked route far below what a bare
// route serves (bench/README.md). The checks are jose's (jwtVerify): the pinned `alg`, no `crit`
// or `b64` header, a canonical base64url signature compared in constant time, a JSON object payload, numeric
// `exp` (expired when exp <= now), `nbf` (refused when nbf > now) and `iat`, and `aud` when an audience is asked.
// Asymmetric algorithms stay with jose.
import { timingSafeEqual } from "node:crypto";
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { isHmacAlgorithm } from "../../config-jwt.ts";
import type { Clock } from "../../lib/clock.ts";
import type { SigningKeys, VerificationKey } from "./signing-keys.ts";

/** Signs and verifies the server's JWTs with the keys loaded at start-up, pinned to their one algorithm. */
export interface JwtSigner {
  /** A token for `subject`, issued now and expiring `lifetimeSeconds` later, with `audience` when given. */
  sign(payload: JWTPayload, options: { subject: string; lifetimeSeconds: number; audience?: string }): Promise<string>;
  /** The payload of a valid, unexpired token (of `audience`, when given); null for anything else. */
  verify(token: string, options?: { audience?: string }): Promise<JWTPayload | null>;
}

const HMAC_DIGEST = { HS256: "sha256", HS384: "sha384", HS512: "sha512" } as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function decodeJsonObject(segment: string): Record<string, unknown> | null {
  if (!BASE64URL.test(segment)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Verified tokens remembered (a few hundred bytes each); past this many the cache starts over. */
const VERIFIED_CACHE_SIZE = 10_000;

function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}

function isNumericDateOrAbsent(value: unknown): boolean {
  return value === undefined || (typeof value === "number" && Number.isFinite(value));
}

/** HS256/384/512 with Bun.CryptoHasher (see the top of this file); same results as jose's SignJWT and jwtVerify. */
function createHmacSigner(keys: SigningKeys, clock: Clock): JwtSigner {
  const digest = HMAC_DIGEST[keys.algorithm as keyof typeof HMAC_DIGEST];
  // One keyed hasher per secret, copied for each token: the copy starts from the key already absorbed, where a new
  // HMAC (node:crypto's createHmac) takes the key in again every time.
  const keyed = (key: VerificationKey) => new Bun.CryptoHasher(digest, key.key as Uint8Array);
  const secrets = keys.verification.map(keyed);
  const signingSecret = keyed(keys.signing);
  const encodedHeader = Buffer.from(JSON.stringify({ alg: keys.algorithm, typ: "JWT" })).toString("base64url");
  const mac = (secret: Bun.CryptoHasher, data: string) => secret.copy().update(data).digest("base64url");
  // Tokens whose signature and shape were checked, with their (frozen) payload: a client sends the same token
  // with every request until it expires, and the check is a noticeable share of an authenticated read. Time
  // and audience are still checked on every use. Only properly signed tokens get in, so it cannot be filled with junk.
  const verified = new Map<string, JWTPayload>();

  function checkSignature(token: string): JWTPayload | null {
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    const [encodedHeaderPart, encodedPayload, signature] = parts as [string, string, string];
    const header = decodeJsonObject(encodedHeaderPart);
    if (header === null || header.alg !== keys.algorithm || header.crit !== undefined || header.b64 !== undefined) return null;
    if (!BASE64URL.test(signature)) return null;
    const data = `${encodedHeaderPart}.${encodedPayload}`;
    const presented = Buffer.from(signature);
    const valid = secrets.some((secret) => {
      const expected = Buffer.from(mac(secret, data));
      return expected.length === presented.length && timingSafeEqual(expected, presented);
    });
    if (!valid) return null;
    const payload = decodeJsonObject(encodedPayload) as JWTPayload | null;
    if (payload === null) return null;
    if (!isNumericDateOrAbsent(payload.iat) || !isNumericDateOrAbsent(payload.nbf) || !isNumericDateOrAbsent(payload.exp)) return null;
    deepFreeze(payload);
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.clear();
    verified.set(token, payload);
    return payload;
  }

  return {
    async sign(payload, options) {
      const issuedAt = Math.floor(clock.now() / 1000);
      // Serialised at once, so no copy of the payload is needed (jose's SignJWT makes one).
      const claims: JWTPayload = { ...payload, sub: options.subject, iat: issuedAt, exp: issuedAt + options.lifetimeSeconds };
      if (options.audience !== undefined) claims.aud = options.audience;
      const data = `${encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
      return `${data}.${mac(signingSecret, data)}`;
    },

    async verify(token, options = {}) {
      const payload = verified.get(token) ?? checkSignature(token);
      if (payload === null) return null;
      const now = Math.floor(clock.now() / 1000);
      if (payload.nbf !== undefined && payload.nbf > now) return null;
      if (payload.exp !== undefined && payload.exp <= now) return null;
      if (options.audience !== undefined) {
        const aud = payload.aud;
        const matches = typeof aud === "string" ? aud === options.audience : Array.isArray(aud) && aud.includes(options.audience);
        if (!matches) return null;
      }
      return payload;
    },
  };
}

export function createJwtSigner(keys: SigningKeys, clock: Clock): JwtSigner {
  if (isHmacAlgorithm(keys.algorithm)) return createHmacSigner(keys, clock);
  const kidHeader = keys.signing.kid === null ? {} : { kid: keys.signing.kid };

  /** Asymmetric keys are picked by the token's kid; HMAC secrets (no kid) are tried in order, current first. */
  function candidates(token: string): VerificationKey[] {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return [];
    }
    return keys.verification.filter((key) => key.kid === null || key.kid === kid);
  }

  return {
    async sign(payload, options) {
      const issuedAt = Math.floor(clock.now() / 1000);
      const jwt = new SignJWT(payload)
        .setProtectedHeader({ alg: keys.algorithm, typ: "JWT", ...kidHeader })
        .setSubject(options.subject)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + options.lifetimeSeconds);
      if (options.audience !== undefined) jwt.setAudience(options.audience);
      return jwt.sign(keys.signing.key);
    },

    async verify(token, options = {}) {
      for (const { key } of candidates(token)) {
        try {
          const { payload } = await jwtVerify(token, key, {
            algorithms: [keys.algorithm],
            audience: options.audience,
            currentDate: new Date(clock.now()),
          });
          return payload;
        } catch (error) {
          // Only a signature mismatch may be the other key's token; expired, malformed or wrong-alg tokens stay refused.
          if (error instanceof joseErrors.JWSSignatureVerificationFailed) continue;
          if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return null;
          throw error;
        }
      }
      return null;
    },
  };
}
