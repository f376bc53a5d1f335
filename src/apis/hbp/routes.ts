// Every HBP auth route, with its guards (guards.ts: the feature that turns it on, a signed-in caller), schemas and
// answers (docs.ts). Handlers live in files named after the action. Guessable checks are counted in core, per account
// and IP (core/throttling/guesses.ts: passwords, TOTP codes, tickets, mails), and answer 429 past their limits.
import { t } from "elysia";
import { json, media, noContent, redirect } from "../route-docs.ts";
import { anyOf } from "../security.ts";
import { dialect } from "../dialect.ts";
import { hbpExchange, type HbpContext } from "./context.ts";
import { activateBody, activateV1 } from "./account-v1.ts";
import { activate, activateQuery } from "./activate.ts";
import { changeEmailDirectly, confirmEmailChange, emailTicketBody, newEmailBody, requestEmailChange } from "./change-email.ts";
import { changePassword, changePasswordBody, lostPasswordBody, requestPasswordReset, resetPassword, resetPasswordBody } from "./change-password.ts";
import { deleteAccount } from "./delete-account.ts";
import { hbpAuthDoc as doc, hbpFormDoc, RATE_LIMITED } from "./docs.ts";
import { hbpErrorResponse } from "./error-handler.ts";
import { HBP_CREDENTIALS, hbpGuards } from "./guards.ts";
import { jwks, jwksSchema } from "./jwks.ts";
import { login, loginBody, loginReplySchema } from "./login.ts";
import { logout, logoutBody, logoutQuery } from "./logout.ts";
import { followMagicLink, magicLinkQuery } from "./magic-link.ts";
import { disableMfa, enableMfa, generateMfa, mfaCodeBody, mfaSecretSchema, mfaTotpBody, totpSignIn } from "./mfa.ts";
import { confirmEmailPage, resetPasswordPage } from "./ticket-pages.ts";
import {
  finishProviderSignIn,
  linkedProviders,
  linkedProvidersSchema,
  providerAnswerFields,
  providerParams,
  providerStartQuery,
  startProviderSignIn,
  unlinkProvider,
} from "./providers.ts";
import { pendingRegistrationSchema, register, registerBody } from "./register.ts";
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
import { accessTokenSchema, refresh, refreshFromCookie, refreshQuery, revoke } from "./token.ts";

/** JSON bodies above this are refused with 413 (HBP: 100 kB; latchkey allows 1 MiB of user_data). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

const ticketQuery = t.Object({ ticket: t.Optional(t.String({ maxLength: 64 })) });

// Answers several routes give.
const session = json(hbpSessionSchema, "Signed in: the session, with the cookies unless `cookie` is false.");
const NOT_SIGNED_IN = "Not signed in: no valid access token or cookies, or the account is disabled, deleted or not active.";
const INVALID_TICKET = "The ticket is unknown, used or expired.";
const NEW_PASSWORD_REFUSED = "The new password is too short, too long or breached.";
const PASSKEYS_OFF = "Passkeys are disabled (WEBAUTHN_ENABLED).";
const INVALID_PASSKEY = "The response does not verify: its challenge is unknown, used, expired or another's; the credential is unknown or another account's; or the origin, RP ID, signature or counter is wrong.";
const ticketPage = (title: string) => ({
  200: media("text/html", `${title}: a form that posts the ticket to the route beside it.`),
  400: media("text/html", "A page saying the link is not valid (no ticket, or not one's shape)."),
});
/** The refresh token: the cookie, else the `refresh_token` query parameter. */
const REFRESH_TOKEN = anyOf(["refreshCookie"], []);

// Provider sign-in (providers.ts): the answers of its routes.
const PROVIDER_DISABLED = 'No such provider is enabled (the message says which setting enables it: OIDC_PROVIDERS, or a built-in provider\'s <P>_ENABLED).';
const providerCallbackAnswers = {
  302: redirect(
    "To the success URL (PROVIDER_SUCCESS_REDIRECT, or the start's redirect_to) with ?refresh_token= and HBP's cookies; with ?mfa_ticket= for a user with TOTP (finish with POST /auth/mfa/totp); with ?provider_linked=<provider> after a link; or to PROVIDER_FAILURE_REDIRECT with ?error=<code>&error_description=.",
  ),
  404: PROVIDER_DISABLED,
};

export function hbpAuthRoutes(ctx: HbpContext) {
  return dialect({
    name: "api:hbp:auth",
    prefix: "/auth",
    // HBP reads JSON only (body-parser.json); a form post must not reach the handlers half-parsed.
    body: { maxBytes: MAX_JSON_BODY_BYTES, mediaTypes: ["json"] },
    errorResponse: (code, error) => hbpErrorResponse(code, error, ctx.core.logger),
    exchange: hbpExchange(ctx),
    // Refused before the body when the client's password check would find no room in the hash queue (dialect.ts).
    // The body is not read then, so /login's anonymous and magic-link sign-ins from such an address wait with it.
    passwordRoutes: { paths: ["/login"], clientIp: (request) => ctx.clientOf(request).ip, assertRoom: ctx.core.passwordCheck.assertRoom },
  })
    // Handlers with nothing to say (logout, revoke, change-password ...) answer 204, as HBP does.
    .onAfterHandle(({ response, set }) => {
      if (response === undefined) set.status = 204;
    })
    .macro(hbpGuards(ctx))
    .post("/register", ({ exchange, body }) => register(ctx, exchange, body), {
      body: registerBody,
      detail: doc("Register with email and password", {
        200: json(t.Union([hbpSessionSchema, pendingRegistrationSchema]), "Registered: a session, or no tokens while the account waits for activation."),
        400: '"password" is required (without MAGIC_LINK_ENABLED); the address is taken or not allowed; the password is too short, too long or breached; roles or user_data not allowed.',
        403: "Registration is closed (REGISTRATION_ENABLED=false).",
        503: "The activation mail could not be queued; nothing was kept.",
      }),
    })
    .post("/login", ({ exchange, body }) => login(ctx, exchange, body), {
      body: loginBody,
      detail: doc(
        "Sign in with email and password",
        {
          200: json(loginReplySchema, "A session; or, with TOTP on, a ticket for /auth/mfa/totp; or, without a password, a mailed link."),
          400: '"email" is required, or "password" (without MAGIC_LINK_ENABLED); the account is not activated.',
          401: "Wrong email or password (the two alike), a disabled account, or a wrong x-admin-secret.",
          404: "Anonymous sign-in is disabled (ANONYMOUS_USERS_ENABLED).",
          429: RATE_LIMITED,
        },
        // x-admin-secret with USER_IMPERSONATION_ENABLED: a session of the account named, without its password.
        { security: anyOf([], ["adminSecret"]) },
      ),
    })
    .post("/logout", ({ exchange, query, body }) => logout(ctx, exchange, query.refresh_token, body?.all ?? false), {
      query: logoutQuery,
      body: logoutBody,
      detail: doc(
        "Sign out (with all=true, everywhere)",
        {
          204: noContent("Signed out; the cookies are cleared when the token came in one."),
          400: '"refresh_token" must be a valid GUID.',
          401: "No refresh token: neither the cookie nor the query.",
        },
        { security: REFRESH_TOKEN },
      ),
    })
    .get("/token/refresh", ({ exchange, query }) => refresh(ctx, exchange, query.refresh_token), {
      query: refreshQuery,
      detail: doc.get(
        "Rotate a refresh token (query or cookie) for new tokens",
        {
          200: json(hbpSessionSchema, "New tokens: in the cookies when the token came in one, else in the body."),
          400: '"refresh_token" must be a valid GUID; the account is not activated.',
          401: "The refresh token is missing, unknown, used or expired; or the account is disabled or deleted.",
          429: RATE_LIMITED,
        },
        { security: REFRESH_TOKEN },
      ),
    })
    .post("/token/refresh", ({ exchange }) => refreshFromCookie(ctx, exchange), {
      detail: doc(
        "Rotate the refresh_token cookie (seed 001's older path)",
        {
          200: json(accessTokenSchema, "A new access token; the new refresh token is in its cookie."),
          400: "The account is not activated.",
          401: "No refresh_token cookie, or one unknown, used or expired; or the account is disabled or deleted.",
          429: RATE_LIMITED,
        },
        { security: anyOf(["refreshCookie"]) },
      ),
    })
    .post("/token/revoke", ({ caller }) => revoke(ctx, caller.user.id), {
      signedIn: true,
      detail: doc("End every session of the signed-in user", { 204: noContent("Every refresh token of the user is revoked."), 401: NOT_SIGNED_IN }),
    })
    .get("/jwks", () => jwks(ctx), {
      detail: doc.get("Public keys of the access tokens (501 with HS* algorithms)", {
        200: json(jwksSchema, "The current key, then JWT_PREVIOUS_KEY while it is set."),
        501: "JWT_ALGORITHM is HS*: a shared secret has no public key to publish.",
      }),
    })
    .get("/activate", async ({ exchange, query, redirect: redirectTo }) => redirectTo(await activate(ctx, exchange, query), 302), {
      query: activateQuery,
      detail: doc.get("Follow an activation link", {
        302: redirect("To REDIRECT_URL_SUCCESS with the refresh token (signed in), or to REDIRECT_URL_ERROR for a bad ticket."),
        401: `${INVALID_TICKET} (Without REDIRECT_URL_ERROR.)`,
        404: "Account activation is disabled: REDIRECT_URL_SUCCESS is not set.",
      }),
    })
    .post("/delete", ({ exchange, caller }) => deleteAccount(ctx, exchange, caller.user.id), {
      feature: "selfDelete",
      signedIn: "Unable to delete account",
      detail: doc("Delete the signed-in account (ALLOW_USER_SELF_DELETE)", {
        204: noContent("The account is deleted, with its sessions, codes, tokens and files; the cookies are cleared."),
        401: `${NOT_SIGNED_IN} (Message: "Unable to delete account".)`,
        404: "Self-deletion is disabled (ALLOW_USER_SELF_DELETE).",
      }),
    })
    .get("/magic-link", async ({ exchange, query, redirect: redirectTo }) => redirectTo(await followMagicLink(ctx, exchange, query), 302), {
      query: magicLinkQuery,
      detail: doc.get("Follow a magic link (MAGIC_LINK_ENABLED)", {
        302: redirect("To REDIRECT_URL_SUCCESS with the refresh token (signed in), or to REDIRECT_URL_ERROR for a bad link."),
        400: "The account is not activated (without REDIRECT_URL_ERROR).",
        401: `${INVALID_TICKET} Or the account is disabled, or has TOTP on (without REDIRECT_URL_ERROR).`,
        404: "Magic links are disabled (MAGIC_LINK_ENABLED, REDIRECT_URL_SUCCESS).",
        429: RATE_LIMITED,
      }),
    })
    .post("/change-password", ({ exchange, caller, body }) => changePassword(ctx, exchange, caller, body), {
      signedIn: true,
      body: changePasswordBody,
      detail: doc("Change the password (ends the other sessions)", {
        204: noContent("Changed; every other session of the user ends."),
        400: NEW_PASSWORD_REFUSED,
        401: `${NOT_SIGNED_IN} Or the current password is wrong.`,
        429: RATE_LIMITED,
      }),
    })
    .post("/change-password/request", ({ exchange, body }) => requestPasswordReset(ctx, exchange, body.email), {
      feature: "lostPassword",
      body: lostPasswordBody,
      detail: doc("Mail a password-reset link (LOST_PASSWORD_ENABLED)", {
        204: noContent("A link is mailed if the address has an account; the answer and its time are the same either way."),
        404: "Password reset is disabled (LOST_PASSWORD_ENABLED).",
        429: RATE_LIMITED,
      }),
    })
    .post("/change-password/change", ({ exchange, body }) => resetPassword(ctx, exchange, body), {
      feature: "lostPassword",
      body: resetPasswordBody,
      detail: doc("Set a new password with the mailed ticket", {
        204: noContent("The password is set; every session of the user ends."),
        400: NEW_PASSWORD_REFUSED,
        401: INVALID_TICKET,
        404: "Password reset is disabled (LOST_PASSWORD_ENABLED).",
        429: RATE_LIMITED,
      }),
    })
    .get("/change-password/change", ({ query }) => resetPasswordPage(query.ticket), {
      feature: "lostPassword",
      query: ticketQuery,
      detail: doc.get("The page a password-reset link opens (HTML)", {
        ...ticketPage("The password form"),
        404: "Password reset is disabled (LOST_PASSWORD_ENABLED).",
      }),
    })
    .post("/change-email", ({ caller, body }) => changeEmailDirectly(ctx, caller.user.id, body.new_email), {
      feature: "directEmailChange",
      signedIn: true,
      body: newEmailBody,
      detail: doc("Change the address at once (VERIFY_EMAILS=false)", {
        204: noContent("The address is changed."),
        400: "The address is taken or not allowed.",
        401: NOT_SIGNED_IN,
        404: "Email change is disabled (CHANGE_EMAIL_ENABLED), or VERIFY_EMAILS=true asks for /auth/change-email/request.",
      }),
    })
    .post("/change-email/request", ({ exchange, caller, body }) => requestEmailChange(ctx, exchange, caller.user.id, body.new_email), {
      feature: "verifiedEmailChange",
      signedIn: true,
      body: newEmailBody,
      detail: doc("Mail a confirmation link to the new address (VERIFY_EMAILS=true)", {
        204: noContent("A confirmation link is mailed to the new address."),
        400: "The address is taken or not allowed.",
        401: NOT_SIGNED_IN,
        404: "Verified email change is disabled (CHANGE_EMAIL_ENABLED, VERIFY_EMAILS).",
        429: RATE_LIMITED,
      }),
    })
    .post("/change-email/change", ({ exchange, body }) => confirmEmailChange(ctx, exchange, body.ticket), {
      feature: "verifiedEmailChange",
      body: emailTicketBody,
      detail: doc("Confirm the new address with the mailed ticket", {
        204: noContent("The address is changed."),
        400: "The address has been taken meanwhile.",
        401: INVALID_TICKET,
        404: "Verified email change is disabled (CHANGE_EMAIL_ENABLED, VERIFY_EMAILS).",
        429: RATE_LIMITED,
      }),
    })
    .get("/change-email/change", ({ query }) => confirmEmailPage(query.ticket), {
      query: ticketQuery,
      detail: doc.get("The page an email-change link opens (HTML)", ticketPage("The confirmation button")),
    })
    .post("/mfa/generate", ({ caller }) => generateMfa(ctx, caller.user), {
      feature: "mfa",
      signedIn: true,
      detail: doc("A new TOTP secret and its QR code (MFA_ENABLED)", {
        200: json(mfaSecretSchema, "The secret to enter in an authenticator app; TOTP stays off until /auth/mfa/enable."),
        400: "TOTP is already on.",
        401: NOT_SIGNED_IN,
        404: "Two-factor authentication is disabled (MFA_ENABLED).",
      }),
    })
    .post("/mfa/enable", ({ exchange, caller, body }) => enableMfa(ctx, exchange, caller.user.id, body.code), {
      feature: "mfa",
      signedIn: true,
      body: mfaCodeBody,
      detail: doc("Turn TOTP on with a code from the app", {
        204: noContent("TOTP is on: sign-ins now ask for a code."),
        400: "TOTP is already on, or no secret was generated.",
        401: `${NOT_SIGNED_IN} Or the code is wrong.`,
        404: "Two-factor authentication is disabled (MFA_ENABLED).",
        429: RATE_LIMITED,
      }),
    })
    .post("/mfa/disable", ({ exchange, caller, body }) => disableMfa(ctx, exchange, caller.user.id, body.code), {
      feature: "mfa",
      signedIn: true,
      body: mfaCodeBody,
      detail: doc("Turn TOTP off with a code from the app", {
        204: noContent("TOTP is off."),
        400: "TOTP is not on.",
        401: `${NOT_SIGNED_IN} Or the code is wrong.`,
        404: "Two-factor authentication is disabled (MFA_ENABLED).",
        429: RATE_LIMITED,
      }),
    })
    .post("/mfa/totp", ({ exchange, body }) => totpSignIn(ctx, exchange, body), {
      body: mfaTotpBody,
      detail: doc("Second sign-in step: the login ticket and a TOTP code", {
        200: session,
        400: "The account is not activated.",
        401: "The ticket is unknown or expired, the code is wrong, or the account is disabled.",
        429: RATE_LIMITED,
      }),
    })
    .get(
      "/providers/:provider",
      async ({ exchange, params, query, redirect: redirectTo }) => redirectTo(await startProviderSignIn(ctx, exchange, params.provider, query), 302),
      {
        params: providerParams,
        query: providerStartQuery,
        detail: doc.get(
          "Sign in with a provider (GitHub, Google, an OIDC provider): to the provider",
          {
            302: redirect("To the provider's sign-in page (the state bound to this browser by a short-lived cookie); or to PROVIDER_FAILURE_REDIRECT with ?error= when the provider cannot be reached."),
            400: '"redirect_to" is not on REDIRECT_URL_ALLOWLIST.',
            401: "link=true without a signed-in caller (the cookies or a Bearer access token).",
            404: PROVIDER_DISABLED,
          },
          // Read only with link=true: the account the provider is linked to.
          { security: anyOf([], ...HBP_CREDENTIALS) },
        ),
      },
    )
    .get(
      "/providers/:provider/callback",
      async ({ exchange, params, query, redirect: redirectTo }) => redirectTo(await finishProviderSignIn(ctx, exchange, params.provider, query), 302),
      {
        params: providerParams,
        query: providerAnswerFields,
        detail: doc.get("Where the provider sends the browser back (register this URL at the provider)", providerCallbackAnswers),
      },
    )
    .get("/user/providers", ({ caller }) => linkedProviders(ctx, caller.user), {
      signedIn: true,
      detail: doc.get("The providers linked to the signed-in account", { 200: json(linkedProvidersSchema, "Its identities, oldest first."), 401: NOT_SIGNED_IN }),
    })
    .delete("/user/providers/:provider", ({ exchange, caller, params }) => unlinkProvider(ctx, exchange, caller.user, params.provider), {
      signedIn: true,
      params: providerParams,
      detail: doc("Unlink a provider from the signed-in account", {
        204: noContent("Unlinked: the provider account no longer signs in to this one."),
        401: NOT_SIGNED_IN,
        404: "The account is not linked to this provider.",
        409: "It is the account's last way to sign in (no password, no other provider or passkey): set a password first.",
      }),
    })
    // Passkeys (WEBAUTHN_ENABLED): each ceremony is options, then verify (apis/hbp/webauthn.ts).
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
    })
    // Seed 001's older paths.
    .post("/account/activate", ({ exchange, body }) => activateV1(ctx, exchange, body.ticket), {
      body: activateBody,
      detail: doc("Activate with the mailed ticket (seed 001)", {
        204: noContent("The account is active."),
        401: INVALID_TICKET,
        429: RATE_LIMITED,
      }),
    })
    .post("/account/forgot", ({ exchange, body }) => resetPassword(ctx, exchange, body), {
      feature: "lostPassword",
      body: resetPasswordBody,
      detail: doc("Set a new password with the mailed ticket (seed 001)", {
        204: noContent("The password is set; every session of the user ends."),
        400: NEW_PASSWORD_REFUSED,
        401: INVALID_TICKET,
        404: "Password reset is disabled (LOST_PASSWORD_ENABLED).",
        429: RATE_LIMITED,
      }),
    })
    .post("/account/remove", ({ exchange, caller }) => deleteAccount(ctx, exchange, caller.user.id), {
      feature: "selfDelete",
      signedIn: "Unable to delete account",
      detail: doc("Delete the signed-in account (seed 001; ALLOW_USER_SELF_DELETE)", {
        204: noContent("The account is deleted, with its sessions, codes, tokens and files; the cookies are cleared."),
        401: `${NOT_SIGNED_IN} (Message: "Unable to delete account".)`,
        404: "Self-deletion is disabled (ALLOW_USER_SELF_DELETE).",
      }),
    });
}

/** A form_post provider's callback (Apple): the one HBP route that reads a form, so it has its own body reader. */
export const MAX_FORM_BODY_BYTES = 64 * 1024;

export function hbpProviderFormRoutes(ctx: HbpContext) {
  return dialect({
    name: "api:hbp:provider-forms",
    prefix: "/auth",
    body: { maxBytes: MAX_FORM_BODY_BYTES, mediaTypes: ["urlencoded"] },
    errorResponse: (code, error) => hbpErrorResponse(code, error, ctx.core.logger),
    exchange: hbpExchange(ctx),
  }).post(
    "/providers/:provider/callback",
    async ({ exchange, params, body, redirect: redirectTo }) => redirectTo(await finishProviderSignIn(ctx, exchange, params.provider, body ?? {}), 302),
    {
      params: providerParams,
      body: providerAnswerFields,
      detail: hbpFormDoc("Where a form_post provider (Apple) sends the browser back, with a form", providerCallbackAnswers),
    },
  );
}
