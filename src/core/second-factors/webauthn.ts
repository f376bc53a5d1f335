// The WebAuthn ceremonies, over @simplewebauthn/server (the standard library for them): the options a browser passes
// to navigator.credentials.create() or .get(), and the checks of what it answers: the client data's type, challenge
// and origin, the RP ID hash, the user-present (and, when asked for, user-verified) flags, the attestation and the
// signature. What the challenge belongs to and what the counter means are passkeys.ts's business.
//
// Every refusal is `invalid_passkey`, with no detail from the library: its messages quote the challenge, which is a
// flow's secret and must not reach a log.
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  VerifiedAuthenticationResponse,
  VerifiedRegistrationResponse,
} from "@simplewebauthn/server";
import type { Config } from "../../config.ts";
import type { UserVerification } from "../../config-webauthn.ts";
import { CoreError } from "../errors.ts";

/** What navigator.credentials.create() answered, as JSON (PublicKeyCredential.toJSON(), @simplewebauthn/browser). */
export type CreationResponse = RegistrationResponseJSON;
/** What navigator.credentials.get() answered, as JSON. */
export type AssertionResponse = AuthenticationResponseJSON;
export type CreationOptions = PublicKeyCredentialCreationOptionsJSON;
export type RequestOptions = PublicKeyCredentialRequestOptionsJSON;

/** Who latchkey is to authenticators, and which pages may speak for it (src/config-webauthn.ts). */
export interface RelyingParty {
  id: string;
  name: string;
  /** The origins a response's client data may name (read late: PUBLIC_URL may be known only once latchkey listens). */
  origins(): string[];
  userVerification: UserVerification;
}

/** How long a browser may take (the challenge lives as long: purposes.ts, 5 minutes). */
export const CEREMONY_TIMEOUT_MS = 5 * 60 * 1000;

/** EdDSA, ES256, RS256: what authenticators make, in order of preference (no post-quantum keys yet: none ship them). */
const ALGORITHMS = [-8, -7, -257];

/** A credential as the ceremonies need it: its id and transports. */
export interface CredentialRef {
  id: string;
  transports: string[];
}

/** A credential a registration proved, ready to store. */
export interface NewCredential {
  id: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  counter: number;
  transports: string[];
  deviceType: string;
  backedUp: boolean;
}

/** What a verified assertion says of the authenticator's state. */
export interface Assertion {
  counter: number;
  backedUp: boolean;
}

const refused = (): CoreError => new CoreError("invalid_passkey");

type WebauthnLibrary = typeof import("@simplewebauthn/server");
let loading: Promise<WebauthnLibrary> | undefined;
/**
 * The library, loaded at the first ceremony: with its certificate and ASN.1 packages it was the largest part of
 * idle RSS, and passkeys are off by default (WEBAUTHN_ENABLED). It works in the binary because build.ts bundles with
 * `splitting`: the import is a chunk of its own, evaluated in its own order. In one bundle Bun wraps a dynamically
 * imported graph in lazy initialisers and calls @peculiar/x509's before the `reflect-metadata` polyfill that
 * @simplewebauthn/server imports first (oven-sh/bun#33337), so tsyringe threw and the first ceremony answered 500.
 */
const library = (): Promise<WebauthnLibrary> => (loading ??= import("@simplewebauthn/server"));

/**
 * The challenge as the bytes it encodes: the options then carry the flow's secret itself, as the browser echoes it in
 * the client data (a string would be taken as text and encoded once more).
 */
function challengeBytes(challenge: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(challenge, "base64url"));
}

/**
 * The challenge a response answers, from its client data (base64url JSON), before anything is verified: it names
 * the flow to check it against. `invalid_passkey` when the client data is not that.
 */
export function challengeOf(response: { response: { clientDataJSON: string } }): string {
  try {
    const clientData: unknown = JSON.parse(Buffer.from(response.response.clientDataJSON, "base64url").toString("utf8"));
    const challenge = (clientData as { challenge?: unknown } | null)?.challenge;
    if (typeof challenge === "string") return challenge;
  } catch {
    // Not JSON: not client data.
  }
  throw refused();
}

/** The user handle an assertion names (a discoverable credential's), as the text it was made from; null if none. */
export function userHandleOf(response: AssertionResponse): string | null {
  const handle = response.response.userHandle;
  return typeof handle === "string" && handle !== "" ? Buffer.from(handle, "base64url").toString("utf8") : null;
}

/** Options for navigator.credentials.create(): a passkey for `user`, none of `exclude` again, attestation `none`. */
export async function creationOptions(
  rp: RelyingParty,
  options: { challenge: string; userHandle: string; userName: string; displayName: string; exclude: CredentialRef[] },
): Promise<CreationOptions> {
  const { generateRegistrationOptions } = await library();
  return generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    // The account's id: what a discoverable credential answers at sign-in, naming its account.
    userID: new TextEncoder().encode(options.userHandle),
    userName: options.userName,
    userDisplayName: options.displayName,
    challenge: challengeBytes(options.challenge),
    timeout: CEREMONY_TIMEOUT_MS,
    attestationType: "none",
    excludeCredentials: options.exclude.map(({ id, transports }) => ({ id, transports })),
    authenticatorSelection: { residentKey: "preferred", userVerification: rp.userVerification },
    supportedAlgorithmIDs: ALGORITHMS,
  });
}

/** Options for navigator.credentials.get(); no `allow`: any discoverable credential of this RP. */
export async function requestOptions(rp: RelyingParty, options: { challenge: string; allow: CredentialRef[] }): Promise<RequestOptions> {
  const { generateAuthenticationOptions } = await library();
  return generateAuthenticationOptions({
    rpID: rp.id,
    challenge: challengeBytes(options.challenge),
    timeout: CEREMONY_TIMEOUT_MS,
    allowCredentials: options.allow.map(({ id, transports }) => ({ id, transports })),
    userVerification: rp.userVerification,
  });
}

/** Checks a registration answering `challenge`; the credential it proved, or `invalid_passkey`. */
export async function verifyCreation(rp: RelyingParty, response: CreationResponse, challenge: string): Promise<NewCredential> {
  const { verifyRegistrationResponse } = await library();
  let verified: VerifiedRegistrationResponse;
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins(),
      expectedRPID: rp.id,
      requireUserVerification: rp.userVerification === "required",
      supportedAlgorithmIDs: ALGORITHMS,
    });
  } catch {
    throw refused();
  }
  if (!verified.verified) throw refused();
  const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
  return {
    id: credential.id,
    publicKey: Buffer.from(credential.publicKey).toString("base64url"),
    counter: credential.counter,
    // What the browser said the authenticator can be reached by, for allowCredentials later; only known names.
    transports: (response.response.transports ?? []).filter((transport) => /^[a-z-]{1,32}$/.test(transport)).slice(0, 8),
    deviceType: credentialDeviceType,
    backedUp: credentialBackedUp,
  };
}

/**
 * Checks an assertion answering `challenge` by the stored credential `stored`: origin, RP ID, flags, signature.
 * The counter is only read here (passkeys.ts decides what a counter that did not move forward means, once the
 * signature proved the authenticator signed it). `invalid_passkey` when anything fails.
 */
export async function verifyAssertion(
  rp: RelyingParty,
  response: AssertionResponse,
  challenge: string,
  stored: { id: string; publicKey: string; transports: string[] },
): Promise<Assertion> {
  const { verifyAuthenticationResponse } = await library();
  let verified: VerifiedAuthenticationResponse;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins(),
      expectedRPID: rp.id,
      // Counter 0 here: the library would refuse a counter going backwards before checking the signature, and
      // anyone can write a low counter; only a signed one says a copy of the authenticator exists.
      credential: { id: stored.id, publicKey: Buffer.from(stored.publicKey, "base64url"), counter: 0, transports: stored.transports },
      requireUserVerification: rp.userVerification === "required",
    });
  } catch {
    throw refused();
  }
  if (!verified.verified) throw refused();
  return { counter: verified.authenticationInfo.newCounter, backedUp: verified.authenticationInfo.credentialBackedUp };
}

/** The relying party of the settings; without WEBAUTHN_RP_ORIGINS, PUBLIC_URL's origin, read when a ceremony needs it. */
export function relyingPartyOf(settings: Config["webauthn"], publicUrl: () => string): RelyingParty {
  const { rpId, rpName, origins, userVerification } = settings;
  return { id: rpId, name: rpName, userVerification, origins: () => (origins ? [...origins] : [new URL(publicUrl()).origin]) };
}
