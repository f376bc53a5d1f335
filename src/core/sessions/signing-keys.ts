// The keys that sign and verify access tokens, loaded and imported once at start-up so no request parses a key.
// HS*: JWT_KEY as the HMAC secret. RS*, ES256, EdDSA: JWT_KEY as a PEM private key. Without JWT_KEY one is generated
// once into the database (decision 9; core/sessions/generated-secrets.ts), shared by every instance on it. JWT_PREVIOUS_KEY
// keeps verifying tokens of a key being rotated out.
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint, exportPKCS8, generateKeyPair, importJWK, importPKCS8, type JWK } from "jose";
import type { Config } from "../../config.ts";
import { isHmacAlgorithm, type AsymmetricAlgorithm, type JwtAlgorithm } from "../../config-jwt.ts";
import { ConfigError } from "../../lib/errors.ts";
import type { GeneratedSecret, LoadedSecret } from "./generated-secrets.ts";
import type { Random } from "../../lib/random.ts";

export type KeyMaterial = CryptoKey | Uint8Array;

export interface VerificationKey {
  /**
   * RFC 7638 thumbprint of the public key, sent as the token's `kid`. null for HMAC secrets: a thumbprint of a
   * secret is a hash of it, an offline guessing oracle for a weak one, and there is nothing public to name.
   */
  kid: string | null;
  key: KeyMaterial;
}

/** A public key as /auth/jwks publishes it: public members only, never `d`. */
export type PublicJwk = JWK & { kid: string; alg: AsymmetricAlgorithm; use: "sig" };

export interface SigningKeys {
  algorithm: JwtAlgorithm;
  /** Signs every new token (JWT_KEY, or the generated key). */
  signing: VerificationKey;
  /** Keys a token may verify with: the current one, then JWT_PREVIOUS_KEY. */
  verification: VerificationKey[];
  /** The public keys, current first; null for HMAC, which has nothing public to publish. */
  publicJwks: PublicJwk[] | null;
}

/** Where a generated key comes from (core/sessions/generated-secrets.ts, bound to the database); unused when JWT_KEY is set. */
export type GeneratedKeySource = (secret: Omit<GeneratedSecret, "legacyFile">) => Promise<LoadedSecret>;

/** The name of the generated key for an algorithm: one per algorithm, so switching JWT_ALGORITHM back finds the old one. */
export function generatedKeyName(algorithm: JwtAlgorithm): string {
  return isHmacAlgorithm(algorithm) ? "jwt-hmac" : `jwt-${algorithm.toLowerCase()}`;
}

export async function loadSigningKeys(options: { config: Config["jwt"]; generated: GeneratedKeySource; random: Random }): Promise<SigningKeys> {
  const { config, generated, random } = options;
  const algorithm = config.algorithm;
  const name = generatedKeyName(algorithm);
  if (isHmacAlgorithm(algorithm)) {
    // 64 random bytes: twice HS512's block-size minimum, so every HS* is at full strength.
    const secret = config.key ?? (await generated({ name, what: "JWT signing key", create: () => random.token(64) })).value;
    const signing = { kid: null, key: new TextEncoder().encode(secret) };
    const previous = config.previousKey === null ? [] : [{ kid: null, key: new TextEncoder().encode(config.previousKey) }];
    return { algorithm, signing, verification: [signing, ...previous], publicJwks: null };
  }

  const { value: pem, source } =
    config.key === null
      ? await generated({
          name,
          what: `JWT signing key pair (${algorithm})`,
          // jose generates RSA keys of 2048 bits, the minimum it (and RFC 7518) accepts for RS*.
          create: async () => exportPKCS8((await generateKeyPair(algorithm, { extractable: true })).privateKey),
          check: (value, from) => void parsePem(value, algorithm, { source: from, allowPublic: false }),
        })
      : { value: config.key, source: "JWT_KEY" };
  const current = await importKey(parsePem(pem, algorithm, { source, allowPublic: false }), algorithm, source);
  const previous =
    config.previousKey === null
      ? null
      : await importKey(
          parsePem(config.previousKey, algorithm, { source: "JWT_PREVIOUS_KEY", allowPublic: true }),
          algorithm,
          "JWT_PREVIOUS_KEY",
        );
  // The same key given twice is listed once.
  const keys = previous === null || previous.jwk.kid === current.jwk.kid ? [current] : [current, previous];
  return {
    algorithm,
    signing: { kid: current.jwk.kid, key: current.privateKey! },
    verification: keys.map((key) => ({ kid: key.jwk.kid, key: key.publicKey })),
    publicJwks: keys.map((key) => key.jwk),
  };
}

interface KeyFamily {
  description: string;
  fits(key: KeyObject): boolean;
}

const RSA: KeyFamily = {
  description: "an RSA key of at least 2048 bits",
  // jose refuses smaller moduli for RS* at signing time; refuse them here, at start-up, instead.
  fits: (key) => key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048,
};

const FAMILIES: Record<AsymmetricAlgorithm, KeyFamily> = {
  RS256: RSA,
  RS384: RSA,
  RS512: RSA,
  ES256: {
    description: "an EC key on P-256",
    fits: (key) => key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1",
  },
  EdDSA: { description: "an Ed25519 key", fits: (key) => key.asymmetricKeyType === "ed25519" },
};

interface ParsedKey {
  privateKey: KeyObject | null;
  publicKey: KeyObject;
}

/**
 * node:crypto reads PKCS#8, PKCS#1 ("BEGIN RSA PRIVATE KEY") and SEC1 ("BEGIN EC PRIVATE KEY") private keys, and
 * SPKI or PKCS#1 public keys. Failures are configuration problems naming the source, never a stack trace;
 * the key itself is never echoed.
 */
function parsePem(pem: string, algorithm: AsymmetricAlgorithm, options: { source: string; allowPublic: boolean }): ParsedKey {
  const family = FAMILIES[algorithm];
  const kinds = options.allowPublic ? "a PEM private or public key" : "a PEM private key (PKCS#8 or PKCS#1)";
  const expected = `expected ${kinds}, ${family.description}, for JWT_ALGORITHM=${algorithm}`;
  const problem = new ConfigError([`${options.source}: ${expected}`]);
  let parsed: ParsedKey;
  try {
    const privateKey = createPrivateKey(pem);
    parsed = { privateKey, publicKey: createPublicKey(privateKey) };
  } catch {
    if (!options.allowPublic) throw problem;
    try {
      parsed = { privateKey: null, publicKey: createPublicKey(pem) };
    } catch {
      throw problem;
    }
  }
  if (!family.fits(parsed.publicKey)) throw problem;
  return parsed;
}

interface ImportedKey {
  privateKey: CryptoKey | null;
  publicKey: CryptoKey;
  jwk: PublicJwk;
}

async function importKey(parsed: ParsedKey, algorithm: AsymmetricAlgorithm, source: string): Promise<ImportedKey> {
  // A public key's JWK export holds only public members (kty, n, e / crv, x, y): no `d` can reach /auth/jwks.
  const publicMembers = parsed.publicKey.export({ format: "jwk" }) as JWK;
  const kid = await calculateJwkThumbprint(publicMembers);
  try {
    const publicKey = (await importJWK(publicMembers, algorithm)) as CryptoKey;
    const privateKey = parsed.privateKey
      ? await importPKCS8(parsed.privateKey.export({ type: "pkcs8", format: "pem" }) as string, algorithm)
      : null;
    return { privateKey, publicKey, jwk: { ...publicMembers, kid, alg: algorithm, use: "sig" } };
  } catch (error) {
    throw new ConfigError([`${source}: the key cannot be used with JWT_ALGORITHM=${algorithm} (${(error as Error).message})`]);
  }
}
