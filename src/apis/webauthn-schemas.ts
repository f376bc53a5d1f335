// The WebAuthn shapes every dialect that runs a passkey ceremony answers and reads (HBP's /auth/webauthn routes, the
// console's passkey step): the JSON of navigator.credentials.get()'s answer and the options for it. One schema each,
// so the OpenAPI document has one WebauthnRequestOptions.
import { t } from "elysia";
import type { AssertionResponse } from "../core/second-factors/webauthn.ts";

/** base64url without padding, as browsers and @simplewebauthn/browser write it; bounded so no field is huge. */
export const base64url = (maxLength: number, options: { minLength?: number } = {}) =>
  t.String({ pattern: "^[A-Za-z0-9_-]*$", maxLength, ...options, description: "base64url" });

// Sizes with room to spare: a credential id is at most 1023 bytes (WebAuthn), client data a few hundred bytes,
// an attestation object with certificates some kilobytes, an RSA-4096 signature 512 bytes.
export const CREDENTIAL_ID = base64url(1366, { minLength: 1 });
export const CLIENT_DATA = base64url(8192);
const EXTENSION_RESULTS = t.Record(t.String({ maxLength: 64 }), t.Unknown(), { maxProperties: 16 });

export const credentialFields = {
  id: CREDENTIAL_ID,
  rawId: CREDENTIAL_ID,
  type: t.Literal("public-key"),
  clientExtensionResults: t.Optional(EXTENSION_RESULTS),
  authenticatorAttachment: t.Optional(t.String({ maxLength: 32 })),
};

/** What navigator.credentials.get() answered, as JSON. */
export const assertionResponseSchema = t.Object(
  {
    ...credentialFields,
    response: t.Object(
      {
        clientDataJSON: CLIENT_DATA,
        authenticatorData: base64url(16384),
        signature: base64url(2048),
        userHandle: t.Optional(t.Nullable(base64url(256))),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: "A signed challenge: PublicKeyCredential.toJSON() of navigator.credentials.get()" },
);

export const descriptor = t.Object({ id: t.String(), type: t.Literal("public-key"), transports: t.Optional(t.Array(t.String())) });
export const integer = t.Unsafe<number>({ type: "integer" });

/** The options for navigator.credentials.get(). */
export const requestOptionsSchema = t.Object(
  {
    challenge: t.String({ description: "base64url; answered once, within the timeout" }),
    rpId: t.Optional(t.String()),
    allowCredentials: t.Optional(t.Array(descriptor, { description: "Empty: any discoverable credential (passkey) of this site" })),
    timeout: t.Optional(integer),
    userVerification: t.Optional(t.String()),
    extensions: t.Optional(t.Record(t.String(), t.Unknown())),
    hints: t.Optional(t.Array(t.String())),
  },
  { $id: "WebauthnRequestOptions", description: "Options for navigator.credentials.get() (publicKey), as JSON" },
);

/** A signed challenge as the library's type (the schema is the stricter; a null user handle is left out). */
export function asAssertion(credential: typeof assertionResponseSchema.static): AssertionResponse {
  const { userHandle, ...response } = credential.response;
  return {
    ...credential,
    clientExtensionResults: credential.clientExtensionResults ?? {},
    response: userHandle === null || userHandle === undefined ? response : { ...response, userHandle },
  } as AssertionResponse;
}
