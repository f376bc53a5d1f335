// Every HBP auth route, with its guards (guards.ts: the feature that turns it on, a signed-in caller), schemas and
// answers (docs.ts): sign-up, sign-in, tokens and the account here, then the groups with a table of their own
// (change-password-routes.ts, change-email-routes.ts, mfa-routes.ts, provider-routes.ts, passkey-routes.ts), each
// named at the `.use` that mounts it. Handlers live in files named after the action. Guessable checks are counted in core, per account
// and IP (core/throttling/guesses.ts: passwords, TOTP codes, tickets, mails), and answer 429 past their limits.
import { t } from "elysia";
import { json, noContent, redirect } from "../route-docs.ts";
import { anyOf } from "../security.ts";
import { dialect } from "../dialect.ts";
import { hbpExchange, type HbpContext } from "./context.ts";
import { activateBody, activateV1 } from "./account-v1.ts";
import { activate, activateQuery } from "./activate.ts";
import { resetPassword, resetPasswordBody } from "./change-password.ts";
import { changeEmailRoutes } from "./change-email-routes.ts";
import { changePasswordRoutes } from "./change-password-routes.ts";
import { deleteAccount } from "./delete-account.ts";
import { hbpAuthDoc as doc, hbpFormDoc, RATE_LIMITED } from "./docs.ts";
import { hbpErrorResponse } from "./error-handler.ts";
import { hbpGuards } from "./guards.ts";
import { jwks, jwksSchema } from "./jwks.ts";
import { login, loginBody, loginReplySchema } from "./login.ts";
import { logout, logoutBody, logoutQuery } from "./logout.ts";
import { followMagicLink, magicLinkQuery } from "./magic-link.ts";
import { mfaRoutes } from "./mfa-routes.ts";
import { passkeyRoutes } from "./passkey-routes.ts";
import { providerCallbackAnswers, providerRoutes } from "./provider-routes.ts";
import { finishProviderSignIn, providerAnswerFields, providerParams } from "./providers.ts";
import { pendingRegistrationSchema, register, registerBody } from "./register.ts";
import { INVALID_TICKET, NEW_PASSWORD_REFUSED, NOT_SIGNED_IN } from "./route-answers.ts";
import { hbpSessionSchema } from "./session-reply.ts";
import { accessTokenSchema, refresh, refreshFromCookie, refreshQuery, revoke } from "./token.ts";

/** JSON bodies above this are refused with 413 (HBP: 100 kB; latchkey allows 1 MiB of user_data). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

/** The refresh token: the cookie, else the `refresh_token` query parameter. */
const REFRESH_TOKEN = anyOf(["refreshCookie"], []);

/** The auth mount before its routes: what every route of this table and of its slices (*-routes.ts) runs behind. */
function hbpAuthApp(ctx: HbpContext) {
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
    .macro(hbpGuards(ctx));
}

/** What a slice of the table adds its routes to: the guards (`feature`, `signedIn`) and the exchange are there. */
export type HbpAuthApp = ReturnType<typeof hbpAuthApp>;

export function hbpAuthRoutes(ctx: HbpContext) {
  return hbpAuthApp(ctx)
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
    // Route groups with a table of their own (mounted on this instance: the same guards), in the order documented.
    .use(changePasswordRoutes(ctx)) // /change-password, /change-password/request, /change-password/change (POST, page)
    .use(changeEmailRoutes(ctx)) // /change-email, /change-email/request, /change-email/change (POST, page)
    .use(mfaRoutes(ctx)) // /mfa/generate, /mfa/enable, /mfa/disable, /mfa/totp
    .use(providerRoutes(ctx)) // /providers/:provider(/callback), /user/providers(/:provider)
    .use(passkeyRoutes(ctx)) // /signup/webauthn(/verify), /signin/webauthn(/verify), /user/webauthn/*, /mfa/webauthn(/verify)
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
