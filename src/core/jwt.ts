// Signing and verifying JWTs with the server's keys (core/signing-keys.ts), for every dialect's tokens.
// Verification pins the one configured algorithm, so `alg: none` and algorithm-confusion tokens (an HS256 token
// "signed" with the RSA public key) fail before any signature maths. Tokens of one dialect carry its audience,
// so they are refused where another kind of token is expected.
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { Clock } from "./clock.ts";
import type { SigningKeys, VerificationKey } from "./signing-keys.ts";

export interface JwtSigner {
  sign(payload: JWTPayload, options: { subject: string; lifetimeSeconds: number; audience?: string }): Promise<string>;
  /** The payload of a valid, unexpired token (of `audience`, when given); null for anything else. */
  verify(token: string, options?: { audience?: string }): Promise<JWTPayload | null>;
}

export function createJwtSigner(keys: SigningKeys, clock: Clock): JwtSigner {
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
