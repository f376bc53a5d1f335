// HBP's passkey routes (WEBAUTHN_ENABLED), a slice of the auth table (routes.ts): sign up, sign in, the second
// sign-in step, and the account's passkeys. Each ceremony is options, then verify. Handlers: webauthn.ts.
import { t } from "elysia";
import { json, noContent } from "../route-docs.ts";
import type { HbpContext } from "./context.ts";
import { hbpAuthDoc as doc, RATE_LIMITED } from "./docs.ts";
import type { HbpAuthApp } from "./routes.ts";
import { INVALID_TICKET, NOT_SIGNED_IN, session } from "./route-answers.ts";
import { pendingRegistrationSchema } from "./register.ts";
import { hbpSessionSchema } from "./session-reply.ts";
import {
  addOptions,
  addVerify,
  addVerifyBody,
  creationOptionsSchema,
  listPasskeys,
  mfaOptions,
  mfaOptionsBody,
  mfaVerify,
  mfaVerifyBody,
  passkeyParams,
  passkeySchema,
  removePasskey,
  requestOptionsSchema,
  signInBody,
  signInOptions,
  signInVerify,
  signInVerifyBody,
  signUpBody,
  signUpOptions,
  signUpVerify,
  signUpVerifyBody,
} from "./webauthn.ts";

const PASSKEYS_OFF = "Passkeys are disabled (WEBAUTHN_ENABLED).";
const INVALID_PASSKEY = "The response does not verify: its challenge is unknown, used, expired or another's; the credential is unknown or another account's; or the origin, RP ID, signature or counter is wrong.";

/** /signup/webauthn(/verify), /signin/webauthn(/verify), /user/webauthn (add, verify, list, remove), /mfa/webauthn(/verify). */
export function passkeyRoutes(ctx: HbpContext) {
  return (app: HbpAuthApp) =>
    app
      .post("/signup/webauthn", ({ body }) => signUpOptions(ctx, body), {
        feature: "webauthn",
        body: signUpBody,
        detail: doc("Sign up with a passkey: the options to make it", {
          200: json(creationOptionsSchema, "Options for navigator.credentials.create(); nothing is made until /auth/signup/webauthn/verify."),
          400: "The address is taken or not allowed; roles or metadata not allowed.",
          403: "Registration is closed (REGISTRATION_ENABLED=false).",
          404: PASSKEYS_OFF,
        }),
      })
      .post("/signup/webauthn/verify", ({ exchange, body }) => signUpVerify(ctx, exchange, body), {
        feature: "webauthn",
        body: signUpVerifyBody,
        detail: doc("Sign up with a passkey: the new credential makes the account", {
          200: json(t.Union([hbpSessionSchema, pendingRegistrationSchema]), "Registered with the passkey: a session, or no tokens while the account waits for activation."),
          400: "The address was taken meanwhile; roles or metadata not allowed.",
          401: INVALID_PASSKEY,
          403: "Registration is closed (REGISTRATION_ENABLED=false).",
          404: PASSKEYS_OFF,
          429: RATE_LIMITED,
          503: "The activation mail could not be queued; nothing was kept.",
        }),
      })
      .post("/signin/webauthn", ({ body }) => signInOptions(ctx, body), {
        feature: "webauthn",
        body: signInBody,
        detail: doc("Sign in with a passkey: the options", {
          200: json(requestOptionsSchema, "Options for navigator.credentials.get(): with an address, its account's passkeys; without, any discoverable one."),
          404: PASSKEYS_OFF,
        }),
      })
      .post("/signin/webauthn/verify", ({ exchange, body }) => signInVerify(ctx, exchange, body), {
        feature: "webauthn",
        body: signInVerifyBody,
        detail: doc("Sign in with a passkey: the signed challenge gives the session", {
          200: session,
          400: "The account is not activated.",
          401: `${INVALID_PASSKEY} Or the account is disabled.`,
          404: PASSKEYS_OFF,
          429: RATE_LIMITED,
        }),
      })
      .post("/user/webauthn/add", ({ caller }) => addOptions(ctx, caller.user), {
        feature: "webauthn",
        signedIn: true,
        detail: doc("Add a passkey to the signed-in account: the options", {
          200: json(creationOptionsSchema, "Options for navigator.credentials.create(), leaving out the account's passkeys."),
          401: NOT_SIGNED_IN,
          404: PASSKEYS_OFF,
        }),
      })
      .post("/user/webauthn/verify", ({ exchange, caller, body }) => addVerify(ctx, exchange, caller.user, body), {
        feature: "webauthn",
        signedIn: true,
        body: addVerifyBody,
        detail: doc("Add a passkey to the signed-in account: the new credential", {
          200: json(passkeySchema, "The passkey added."),
          401: `${NOT_SIGNED_IN} Or: ${INVALID_PASSKEY}`,
          404: PASSKEYS_OFF,
          429: RATE_LIMITED,
        }),
      })
      .get("/user/webauthn", ({ caller }) => listPasskeys(ctx, caller.user), {
        feature: "webauthn",
        signedIn: true,
        detail: doc.get("The signed-in account's passkeys", {
          200: json(t.Array(passkeySchema), "Oldest first."),
          401: NOT_SIGNED_IN,
          404: PASSKEYS_OFF,
        }),
      })
      .delete("/user/webauthn/:id", ({ exchange, caller, params }) => removePasskey(ctx, exchange, caller.user, params.id), {
        feature: "webauthn",
        signedIn: true,
        params: passkeyParams,
        // Not doc.get: a DELETE may carry a body, which the edge reads (and refuses when too large) like any other.
        detail: doc("Remove one of the signed-in account's passkeys", {
          204: noContent("Removed; it signs in no more."),
          401: NOT_SIGNED_IN,
          404: `${PASSKEYS_OFF} Or the account has no passkey with this id.`,
          409: "It is the account's last way to sign in: add a password or another passkey first.",
        }),
      })
      .post("/mfa/webauthn", ({ exchange, body }) => mfaOptions(ctx, exchange, body), {
        feature: "webauthn",
        body: mfaOptionsBody,
        detail: doc("Second sign-in step with a passkey: the options for the login ticket's account", {
          200: json(requestOptionsSchema, "Options for navigator.credentials.get(), for the account's passkeys."),
          401: INVALID_TICKET,
          404: PASSKEYS_OFF,
          429: RATE_LIMITED,
        }),
      })
      .post("/mfa/webauthn/verify", ({ exchange, body }) => mfaVerify(ctx, exchange, body), {
        feature: "webauthn",
        body: mfaVerifyBody,
        detail: doc("Second sign-in step with a passkey: the login ticket and the signed challenge", {
          200: session,
          400: "The account is not activated.",
          401: `The ticket is unknown or expired, or: ${INVALID_PASSKEY} Or the account is disabled.`,
          404: PASSKEYS_OFF,
          429: RATE_LIMITED,
        }),
      });
}
