// Every HBP auth route, with its guards (guards.ts: the feature that turns it on, a signed-in caller) and schemas.
// Handlers live in files named after the action. Guessable checks are limited in core, per account and IP
// (core/guesses.ts: passwords, TOTP codes; core/rate-limits.ts: mails), and answer 429.
import { t } from "elysia";
import { dialect } from "../dialect.ts";
import { hbpExchange, type HbpContext } from "./context.ts";
import { activateBody, activateV1 } from "./account-v1.ts";
import { activate, activateQuery } from "./activate.ts";
import { changeEmailDirectly, confirmEmailChange, emailTicketBody, newEmailBody, requestEmailChange } from "./change-email.ts";
import {
  changePassword,
  changePasswordBody,
  lostPasswordBody,
  requestPasswordReset,
  resetPassword,
  resetPasswordBody,
} from "./change-password.ts";
import { deleteAccount } from "./delete-account.ts";
import { hbpErrorResponse } from "./error-handler.ts";
import { hbpGuards } from "./guards.ts";
import { jwks } from "./jwks.ts";
import { login, loginBody } from "./login.ts";
import { logout, logoutBody, logoutQuery } from "./logout.ts";
import { followMagicLink, magicLinkQuery } from "./magic-link.ts";
import { disableMfa, enableMfa, generateMfa, mfaCodeBody, mfaTotpBody, totpSignIn } from "./mfa.ts";
import { confirmEmailPage, resetPasswordPage } from "./ticket-pages.ts";
import { register, registerBody } from "./register.ts";
import { refresh, refreshFromCookie, refreshQuery, revoke } from "./token.ts";

/** JSON bodies above this are refused with 413 (HBP: 100 kB; latchkey allows 1 MiB of user_data). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

const tags = ["HBP auth"];

const ticketQuery = t.Object({ ticket: t.Optional(t.String({ maxLength: 64 })) });

export function hbpAuthRoutes(ctx: HbpContext) {
  return dialect({
    name: "api:hbp:auth",
    prefix: "/auth",
    // HBP reads JSON only (body-parser.json); a form post must not reach the handlers half-parsed.
    body: { maxBytes: MAX_JSON_BODY_BYTES, mediaTypes: ["json"] },
    errorResponse: (code, error) => hbpErrorResponse(code, error, ctx.core.logger),
    exchange: hbpExchange(ctx),
  })
    // Handlers with nothing to say (logout, revoke, change-password ...) answer 204, as HBP does.
    .onAfterHandle(({ response, set }) => {
      if (response === undefined) set.status = 204;
    })
    .macro(hbpGuards(ctx))
    .post("/register", ({ exchange, body }) => register(ctx, exchange, body), {
      body: registerBody,
      detail: { tags, summary: "Register with email and password" },
    })
    .post("/login", ({ exchange, body }) => login(ctx, exchange, body), {
      body: loginBody,
      detail: { tags, summary: "Sign in with email and password" },
    })
    .post(
      "/logout",
      ({ exchange, query, body }) => logout(ctx, exchange, query.refresh_token, body?.all ?? false),
      { query: logoutQuery, body: logoutBody, detail: { tags, summary: "Sign out (with all=true, everywhere)" } },
    )
    .get("/token/refresh", ({ exchange, query }) => refresh(ctx, exchange, query.refresh_token), {
      query: refreshQuery,
      detail: { tags, summary: "Rotate a refresh token (query or cookie) for new tokens" },
    })
    .post("/token/refresh", ({ exchange }) => refreshFromCookie(ctx, exchange), {
      detail: { tags, summary: "Rotate the refresh_token cookie (seed 001's older path)" },
    })
    .post("/token/revoke", ({ caller }) => revoke(ctx, caller.user.id), {
      signedIn: true,
      detail: { tags, summary: "End every session of the signed-in user" },
    })
    .get("/jwks", () => jwks(ctx), { detail: { tags, summary: "Public keys of the access tokens (501 with HS* algorithms)" } })
    .get(
      "/activate",
      async ({ exchange, query, redirect }) => redirect(await activate(ctx, exchange, query), 302),
      { query: activateQuery, detail: { tags, summary: "Follow an activation link" } },
    )
    .post("/delete", ({ exchange, caller }) => deleteAccount(ctx, exchange, caller.user.id), {
      feature: "selfDelete",
      signedIn: "Unable to delete account",
      detail: { tags, summary: "Delete the signed-in account (ALLOW_USER_SELF_DELETE)" },
    })
    .get(
      "/magic-link",
      async ({ exchange, query, redirect }) => redirect(await followMagicLink(ctx, exchange, query), 302),
      { query: magicLinkQuery, detail: { tags, summary: "Follow a magic link (MAGIC_LINK_ENABLED)" } },
    )
    .post("/change-password", ({ exchange, caller, body }) => changePassword(ctx, exchange, caller, body), {
      signedIn: true,
      body: changePasswordBody,
      detail: { tags, summary: "Change the password (ends the other sessions)" },
    })
    .post("/change-password/request", ({ exchange, body }) => requestPasswordReset(ctx, exchange, body.email), {
      feature: "lostPassword",
      body: lostPasswordBody,
      detail: { tags, summary: "Mail a password-reset link (LOST_PASSWORD_ENABLED)" },
    })
    .post("/change-password/change", ({ exchange, body }) => resetPassword(ctx, exchange, body), {
      feature: "lostPassword",
      body: resetPasswordBody,
      detail: { tags, summary: "Set a new password with the mailed ticket" },
    })
    .get("/change-password/change", ({ query }) => resetPasswordPage(query.ticket), {
      feature: "lostPassword",
      query: ticketQuery,
      detail: { tags, summary: "The page a password-reset link opens (HTML)" },
    })
    .post("/change-email", ({ caller, body }) => changeEmailDirectly(ctx, caller.user.id, body.new_email), {
      feature: "directEmailChange",
      signedIn: true,
      body: newEmailBody,
      detail: { tags, summary: "Change the address at once (VERIFY_EMAILS=false)" },
    })
    .post("/change-email/request", ({ exchange, caller, body }) => requestEmailChange(ctx, exchange, caller.user.id, body.new_email), {
      feature: "verifiedEmailChange",
      signedIn: true,
      body: newEmailBody,
      detail: { tags, summary: "Mail a confirmation link to the new address (VERIFY_EMAILS=true)" },
    })
    .post("/change-email/change", ({ exchange, body }) => confirmEmailChange(ctx, exchange, body.ticket), {
      feature: "verifiedEmailChange",
      body: emailTicketBody,
      detail: { tags, summary: "Confirm the new address with the mailed ticket" },
    })
    .get("/change-email/change", ({ query }) => confirmEmailPage(query.ticket), {
      query: ticketQuery,
      detail: { tags, summary: "The page an email-change link opens (HTML)" },
    })
    .post("/mfa/generate", ({ caller }) => generateMfa(ctx, caller.user), {
      feature: "mfa",
      signedIn: true,
      detail: { tags, summary: "A new TOTP secret and its QR code (MFA_ENABLED)" },
    })
    .post("/mfa/enable", ({ exchange, caller, body }) => enableMfa(ctx, exchange, caller.user.id, body.code), {
      feature: "mfa",
      signedIn: true,
      body: mfaCodeBody,
      detail: { tags, summary: "Turn TOTP on with a code from the app" },
    })
    .post("/mfa/disable", ({ exchange, caller, body }) => disableMfa(ctx, exchange, caller.user.id, body.code), {
      feature: "mfa",
      signedIn: true,
      body: mfaCodeBody,
      detail: { tags, summary: "Turn TOTP off with a code from the app" },
    })
    .post("/mfa/totp", ({ exchange, body }) => totpSignIn(ctx, exchange, body), {
      body: mfaTotpBody,
      detail: { tags, summary: "Second sign-in step: the login ticket and a TOTP code" },
    })
    // Seed 001's older paths.
    .post(
      "/account/activate",
      ({ exchange, body }) => activateV1(ctx, exchange, body.ticket),
      { body: activateBody, detail: { tags, summary: "Activate with the mailed ticket (seed 001)" } },
    )
    .post("/account/forgot", ({ exchange, body }) => resetPassword(ctx, exchange, body), {
      feature: "lostPassword",
      body: resetPasswordBody,
      detail: { tags, summary: "Set a new password with the mailed ticket (seed 001)" },
    })
    .post("/account/remove", ({ exchange, caller }) => deleteAccount(ctx, exchange, caller.user.id), {
      feature: "selfDelete",
      signedIn: "Unable to delete account",
      detail: { tags, summary: "Delete the signed-in account (seed 001; ALLOW_USER_SELF_DELETE)" },
    });
}
