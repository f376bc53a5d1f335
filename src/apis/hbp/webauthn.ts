// /auth/*webauthn*: passkeys (WEBAUTHN_ENABLED), in the shapes of nhost's hasura-auth so its web client's flows map
// one to one: each ceremony is a pair, options (for navigator.credentials.create() or .get()) and then verify (what the
// browser answered). Sign-up, sign-in (with or without an address), adding, listing and removing a signed-in user's
// passkeys, and the MFA ticket of a password sign-in answered with a passkey. core/sign-in/passkey-sign-in.ts and
// core/second-factors/passkeys.ts do the work.
import { t } from "elysia";
import { asAssertion, assertionResponseSchema, base64url, CLIENT_DATA, CREDENTIAL_ID, credentialFields, descriptor, integer, requestOptionsSchema } from "../webauthn-schemas.ts";
import type { User } from "../../core/accounts/users.ts";
import type { PasskeyInfo } from "../../core/second-factors/passkeys.ts";
import { MAX_NICKNAME_LENGTH } from "../../core/second-factors/passkeys.ts";
import type { AssertionResponse, CreationResponse } from "../../core/second-factors/webauthn.ts";
import type { Exchange, HbpContext } from "./context.ts";
import { HbpError } from "./errors.ts";
import { EMAIL_SCHEMA, registeredReply, type PendingRegistration } from "./register.ts";
import { sessionReply, type HbpSession } from "./session-reply.ts";

/** What navigator.credentials.create() answered, as JSON (PublicKeyCredential.toJSON()). */
export const creationResponseSchema = t.Object(
  {
    ...credentialFields,
    response: t.Object(
      {
        clientDataJSON: CLIENT_DATA,
        attestationObject: base64url(65536),
        authenticatorData: t.Optional(base64url(65536)),
        transports: t.Optional(t.Array(t.String({ maxLength: 32 }), { maxItems: 16 })),
        publicKeyAlgorithm: t.Optional(t.Integer({ minimum: -65536, maximum: 65536 })),
        publicKey: t.Optional(base64url(8192)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: "A new credential: PublicKeyCredential.toJSON() of navigator.credentials.create()" },
);

export { assertionResponseSchema, requestOptionsSchema };

/** The options for navigator.credentials.create() (PublicKeyCredential.parseCreationOptionsFromJSON, @simplewebauthn/browser). */
export const creationOptionsSchema = t.Object(
  {
    challenge: t.String({ description: "base64url; answered once, within the timeout" }),
    rp: t.Object({ name: t.String(), id: t.Optional(t.String()) }),
    user: t.Object({ id: t.String({ description: "The user handle, base64url: the account's id" }), name: t.String(), displayName: t.String() }),
    pubKeyCredParams: t.Array(t.Object({ alg: integer, type: t.Literal("public-key") })),
    timeout: t.Optional(integer),
    excludeCredentials: t.Optional(t.Array(descriptor)),
    authenticatorSelection: t.Optional(
      t.Object({
        authenticatorAttachment: t.Optional(t.String()),
        residentKey: t.Optional(t.String()),
        requireResidentKey: t.Optional(t.Boolean()),
        userVerification: t.Optional(t.String()),
      }),
    ),
    attestation: t.Optional(t.String()),
    attestationFormats: t.Optional(t.Array(t.String())),
    extensions: t.Optional(t.Record(t.String(), t.Unknown())),
    hints: t.Optional(t.Array(t.String())),
  },
  { $id: "WebauthnCreationOptions", description: "Options for navigator.credentials.create() (publicKey), as JSON" },
);

/** nhost's SignUpOptions, as far as latchkey's registration has them (HBP's register_options and user_data). */
const signUpOptionsSchema = t.Object(
  {
    allowedRoles: t.Optional(t.Array(t.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 })),
    defaultRole: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
    displayName: t.Optional(t.String({ minLength: 1, maxLength: 256 })),
    metadata: t.Optional(t.Record(t.String({ maxLength: 64 }), t.Unknown(), { maxProperties: 64, description: "Fields of REGISTRATION_CUSTOM_FIELDS" })),
    // nhost's client may send these; latchkey has no per-user locale, and activation links go to REDIRECT_URL_SUCCESS.
    locale: t.Optional(t.String({ maxLength: 16, description: "Accepted and not used" })),
    redirectTo: t.Optional(t.String({ maxLength: 2048, description: "Accepted and not used: activation links go to REDIRECT_URL_SUCCESS" })),
  },
  { additionalProperties: false },
);

const NICKNAME = t.String({ maxLength: MAX_NICKNAME_LENGTH });
const TICKET = t.String({ maxLength: 64 });

export const signUpBody = t.Object({ email: EMAIL_SCHEMA, options: t.Optional(signUpOptionsSchema) }, { additionalProperties: false });
export const signUpVerifyBody = t.Object(
  { credential: creationResponseSchema, nickname: t.Optional(NICKNAME), options: t.Optional(signUpOptionsSchema), cookie: t.Optional(t.Boolean()) },
  { additionalProperties: false },
);
export const signInBody = t.Optional(t.Object({ email: t.Optional(EMAIL_SCHEMA) }, { additionalProperties: false }));
export const signInVerifyBody = t.Object(
  { email: t.Optional(EMAIL_SCHEMA), credential: assertionResponseSchema, cookie: t.Optional(t.Boolean()) },
  { additionalProperties: false },
);
export const addVerifyBody = t.Object({ credential: creationResponseSchema, nickname: t.Optional(NICKNAME) }, { additionalProperties: false });
export const mfaOptionsBody = t.Object({ ticket: TICKET }, { additionalProperties: false });
export const mfaVerifyBody = t.Object({ ticket: TICKET, credential: assertionResponseSchema, cookie: t.Optional(t.Boolean()) }, { additionalProperties: false });
export const passkeyParams = t.Object({ id: CREDENTIAL_ID });

/** A passkey as its owner sees it: never its key. */
export const passkeySchema = t.Object(
  {
    id: t.String({ description: "The credential id, base64url" }),
    nickname: t.Nullable(t.String()),
    transports: t.Array(t.String()),
    created_at: t.String({ description: "ISO 8601" }),
    last_used_at: t.Nullable(t.String({ description: "ISO 8601; null: never used to sign in" })),
  },
  { $id: "HbpPasskey", additionalProperties: false },
);
export type HbpPasskey = typeof passkeySchema.static;

type SignUpOptions = typeof signUpOptionsSchema.static;
type CreationBody = typeof creationResponseSchema.static;
type AssertionBody = typeof assertionResponseSchema.static;

function passkeyView(passkey: PasskeyInfo): HbpPasskey {
  return {
    id: passkey.id,
    nickname: passkey.nickname,
    transports: passkey.transports,
    created_at: new Date(passkey.createdAt).toISOString(),
    last_used_at: passkey.lastUsedAt === null ? null : new Date(passkey.lastUsedAt).toISOString(),
  };
}

function profileOf(options: SignUpOptions | undefined) {
  if (options === undefined) return undefined;
  const { allowedRoles, defaultRole, displayName, metadata } = options;
  return { allowedRoles, defaultRole, displayName, customFields: metadata };
}

/** The schema's shape as the library's type (the schema is the stricter; extension results are optional here). */
function asCreation(credential: CreationBody): CreationResponse {
  return { ...credential, clientExtensionResults: credential.clientExtensionResults ?? {} } as CreationResponse;
}


// POST /auth/signup/webauthn
export function signUpOptions(ctx: HbpContext, body: typeof signUpBody.static) {
  return ctx.core.passkeySignIn.signUpOptions(body.email, profileOf(body.options) ?? {});
}

// POST /auth/signup/webauthn/verify
export async function signUpVerify(ctx: HbpContext, exchange: Exchange, body: typeof signUpVerifyBody.static): Promise<HbpSession | PendingRegistration> {
  const user = await ctx.core.passkeySignIn.signUp(asCreation(body.credential), { nickname: body.nickname, profile: profileOf(body.options) }, exchange.client);
  // A password-less account: the activation link only activates it; the passkey signs in.
  return registeredReply(ctx, exchange, user, { activationMail: "activation", useCookies: body.cookie ?? true });
}

// POST /auth/signin/webauthn
export function signInOptions(ctx: HbpContext, body: typeof signInBody.static | null) {
  return ctx.core.passkeySignIn.signInOptions(body?.email ?? null);
}

// POST /auth/signin/webauthn/verify
export async function signInVerify(ctx: HbpContext, exchange: Exchange, body: typeof signInVerifyBody.static): Promise<HbpSession> {
  const user = await ctx.core.passkeySignIn.signIn(asAssertion(body.credential), { email: body.email }, exchange.client);
  return sessionReply(ctx, exchange, await ctx.core.sessionTokens.start(user, exchange.client), body.cookie ?? true);
}

// POST /auth/user/webauthn/add
export function addOptions(ctx: HbpContext, user: User) {
  return ctx.core.passkeys.registrationOptions(user);
}

// POST /auth/user/webauthn/verify
export async function addVerify(ctx: HbpContext, exchange: Exchange, user: User, body: typeof addVerifyBody.static): Promise<HbpPasskey> {
  return passkeyView(await ctx.core.passkeys.verifyRegistration(user, asCreation(body.credential), { nickname: body.nickname }, exchange.client));
}

// GET /auth/user/webauthn
export async function listPasskeys(ctx: HbpContext, user: User): Promise<HbpPasskey[]> {
  return (await ctx.core.passkeys.list(user.id)).map(passkeyView);
}

// DELETE /auth/user/webauthn/:id
export async function removePasskey(ctx: HbpContext, exchange: Exchange, user: User, id: string): Promise<void> {
  if (!(await ctx.core.passkeys.remove(user.id, id, { client: exchange.client }))) throw new HbpError(404, "No such passkey.");
}

// POST /auth/mfa/webauthn
export function mfaOptions(ctx: HbpContext, exchange: Exchange, body: typeof mfaOptionsBody.static) {
  return ctx.core.passkeySignIn.mfaOptions(body.ticket, exchange.client);
}

// POST /auth/mfa/webauthn/verify
export async function mfaVerify(ctx: HbpContext, exchange: Exchange, body: typeof mfaVerifyBody.static): Promise<HbpSession> {
  const user = await ctx.core.passkeySignIn.withMfaTicket(body.ticket, asAssertion(body.credential), exchange.client);
  return sessionReply(ctx, exchange, await ctx.core.sessionTokens.start(user, exchange.client), body.cookie ?? true);
}
