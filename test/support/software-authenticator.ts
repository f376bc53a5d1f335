// A WebAuthn authenticator in the test, so passkey ceremonies run without a browser: ES256 key pairs (crypto.subtle),
// `none` attestation (a CBOR attestation object, written by the small encoder below), authenticator data (RP ID hash,
// flags, signature counter, attested credential data with the COSE key) and client data made here, and signatures
// over authData || SHA-256(clientDataJSON) in DER, as WebAuthn has them. What it answers is what a browser's
// PublicKeyCredential.toJSON() gives (and @simplewebauthn/browser sends). Every part can be made wrong on purpose:
// the origin, the RP ID, the challenge, the counter.
import { createHash } from "node:crypto";

type Cbor = number | string | Uint8Array | Cbor[] | Map<number | string, Cbor>;

/** Minimal CBOR (RFC 8949): unsigned and negative integers, byte and text strings, arrays, maps; definite lengths. */
export function cbor(value: Cbor): Uint8Array {
  const out: number[] = [];
  const head = (major: number, length: number) => {
    if (length < 24) out.push((major << 5) | length);
    else if (length < 0x100) out.push((major << 5) | 24, length);
    else if (length < 0x10000) out.push((major << 5) | 25, length >> 8, length & 0xff);
    else out.push((major << 5) | 26, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
  };
  const write = (item: Cbor): void => {
    if (typeof item === "number") {
      if (item >= 0) head(0, item);
      else head(1, -1 - item);
    } else if (typeof item === "string") {
      const bytes = new TextEncoder().encode(item);
      head(3, bytes.length);
      out.push(...bytes);
    } else if (item instanceof Uint8Array) {
      head(2, item.length);
      out.push(...item);
    } else if (Array.isArray(item)) {
      head(4, item.length);
      for (const element of item) write(element);
    } else {
      head(5, item.size);
      for (const [key, element] of item) {
        write(key);
        write(element);
      }
    }
  };
  write(value);
  return new Uint8Array(out);
}

const sha256 = (data: Uint8Array | string): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());
const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const uint32 = (value: number): Uint8Array => new Uint8Array([(value >>> 24) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff]);

/** An ECDSA signature as WebCrypto gives it (r || s, 32 bytes each) in DER, as WebAuthn wants it. */
function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array): number[] => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = [...bytes.subarray(start)];
    // A set high bit would make it negative: a 0 byte first keeps it positive.
    if (trimmed[0]! & 0x80) trimmed.unshift(0);
    return [0x02, trimmed.length, ...trimmed];
  };
  const body = [...integer(raw.subarray(0, 32)), ...integer(raw.subarray(32))];
  return new Uint8Array([0x30, body.length, ...body]);
}

const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

/** A credential the authenticator holds. */
export interface HeldCredential {
  id: string;
  rpId: string;
  /** The user handle the options gave (base64url). */
  userHandle: string;
  keys: CryptoKeyPair;
  counter: number;
}

export interface AuthenticatorOptions {
  /** The origin of the page the ceremonies run on (clientData.origin). */
  origin: string;
  /** The RP ID whose hash goes into the authenticator data; default: the options' (or the origin's host). */
  rpId?: string;
  /** Whether the signature counter grows with each use (a security key) or stays 0 (many platform authenticators). */
  counts?: boolean;
  /** Sets the UV flag (a PIN or biometric was checked). Default true. */
  userVerified?: boolean;
  /** A synced passkey: backup eligible and backed up. */
  synced?: boolean;
  transports?: string[];
}

/** What one ceremony may change from the authenticator's defaults. */
export interface CeremonyOverrides {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  /** Sign with this credential, whatever the options allow. */
  credentialId?: string;
  /** Leave the user handle out of an assertion. */
  noUserHandle?: boolean;
}

export class SoftwareAuthenticator {
  readonly credentials = new Map<string, HeldCredential>();

  constructor(readonly options: AuthenticatorOptions) {}

  /** A copy holding the same keys and counters (a cloned authenticator): each copy counts on its own from here. */
  clone(): SoftwareAuthenticator {
    const copy = new SoftwareAuthenticator(this.options);
    for (const [id, credential] of this.credentials) copy.credentials.set(id, { ...credential });
    return copy;
  }

  /** navigator.credentials.create() with these options (PublicKeyCredentialCreationOptionsJSON), as toJSON() gives it. */
  async create(options: any, overrides: CeremonyOverrides = {}): Promise<any> {
    const rpId = overrides.rpId ?? this.options.rpId ?? options.rp?.id ?? new URL(this.options.origin).hostname;
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const rawPublic = new Uint8Array(await crypto.subtle.exportKey("raw", keys.publicKey));
    const coseKey = cbor(
      new Map<number, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, rawPublic.subarray(1, 33)],
        [-3, rawPublic.subarray(33, 65)],
      ]),
    );
    const credentialId = crypto.getRandomValues(new Uint8Array(32));
    const id = b64url(credentialId);
    const attested = concat(new Uint8Array(16), new Uint8Array([0, credentialId.length]), credentialId, coseKey);
    const authData = concat(sha256(rpId), new Uint8Array([this.flags() | FLAG.AT]), uint32(0), attested);
    const attestationObject = cbor(new Map<string, Cbor>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
    const clientDataJSON = this.clientData(overrides.type ?? "webauthn.create", overrides.challenge ?? options.challenge, overrides);
    this.credentials.set(id, { id, rpId, userHandle: options.user.id, keys, counter: 0 });
    return {
      id,
      rawId: id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: this.options.transports ?? ["internal"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** navigator.credentials.get() with these options (PublicKeyCredentialRequestOptionsJSON), as toJSON() gives it. */
  async get(options: any, overrides: CeremonyOverrides = {}): Promise<any> {
    const credential = this.pick(options, overrides.credentialId);
    if (this.options.counts) credential.counter += 1;
    const rpId = overrides.rpId ?? this.options.rpId ?? options.rpId ?? credential.rpId;
    const authData = concat(sha256(rpId), new Uint8Array([this.flags()]), uint32(credential.counter));
    const clientDataJSON = this.clientData(overrides.type ?? "webauthn.get", overrides.challenge ?? options.challenge, overrides);
    const signed = concat(authData, sha256(clientDataJSON));
    const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, credential.keys.privateKey, signed));
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(derSignature(raw)),
        ...(overrides.noUserHandle ? {} : { userHandle: credential.userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** The one credential this authenticator holds for the options (the first allowed, or any when none are named). */
  private pick(options: any, credentialId?: string): HeldCredential {
    if (credentialId !== undefined) {
      const chosen = this.credentials.get(credentialId);
      if (!chosen) throw new Error(`the authenticator holds no credential ${credentialId}`);
      return chosen;
    }
    const allowed: string[] = (options.allowCredentials ?? []).map((descriptor: { id: string }) => descriptor.id);
    const held = [...this.credentials.values()].filter((credential) => allowed.length === 0 || allowed.includes(credential.id));
    if (held.length === 0) throw new Error("the authenticator holds none of the credentials the options allow");
    return held[held.length - 1]!;
  }

  private flags(): number {
    let flags = FLAG.UP;
    if (this.options.userVerified ?? true) flags |= FLAG.UV;
    if (this.options.synced) flags |= FLAG.BE | FLAG.BS;
    return flags;
  }

  private clientData(type: string, challenge: string, overrides: CeremonyOverrides): Uint8Array {
    return new TextEncoder().encode(JSON.stringify({ type, challenge, origin: overrides.origin ?? this.options.origin, crossOrigin: false }));
  }
}
