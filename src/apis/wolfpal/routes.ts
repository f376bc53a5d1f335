// Every WolfPal route (spec/wolfpal.md), mounted at WOLFPAL_PREFIX (default /wolfpal), with its guard (session.ts: a
// valid access token of a live session). Bodies are urlencoded or JSON and are validated by the handlers with WolfPal's
// own field rules (validation.ts), which answer every failing field at once. Guessable checks are limited in core.
import { dialect } from "../dialect.ts";
import { backupCodesFile, createTwoFactor, disableTwoFactor, enableTwoFactor } from "./account.ts";
import { login, logout, refresh, register, twoFactor } from "./auth.ts";
import type { WolfpalContext, WolfpalExchange } from "./context.ts";
import { NOT_FOUND_BODY, wolfpalErrorResponse } from "./errors.ts";
import { wolfpalGuards } from "./session.ts";
import { activateAccount, forgotPassword, resendActivation, resetPassword } from "./user.ts";

const tags = ["WolfPal"];

export function wolfpalRoutes(ctx: WolfpalContext) {
  return dialect({
    name: "api:wolfpal",
    prefix: ctx.config.wolfpal.prefix,
    // WolfPal's bodies are a few short fields, urlencoded or JSON (spec/wolfpal.md decision 2).
    body: { maxBytes: 64 * 1024, mediaTypes: ["urlencoded", "json"] },
    errorResponse: (code, error) => wolfpalErrorResponse(code, error, ctx.core.logger),
    exchange: (request): WolfpalExchange => ({ headers: request.headers, client: ctx.clientOf(request) }),
  })
    .macro(wolfpalGuards(ctx))
    .post("/auth/register", async ({ body, set }) => {
      const answer = await register(ctx, body);
      set.status = 201;
      return answer;
    }, { detail: { tags, summary: "Register (username, email, password); mails a confirmation link" } })
    .post("/auth/login", ({ exchange, body }) => login(ctx, exchange, body), {
      detail: { tags, summary: "Sign in; with two factor on, answers a token for /auth/two-factor" },
    })
    .post("/auth/two-factor", ({ exchange, body }) => twoFactor(ctx, exchange, body), {
      detail: { tags, summary: "Second step: the login token and a TOTP or backup code" },
    })
    .post("/auth/refresh", ({ exchange, body }) => refresh(ctx, exchange, body), {
      detail: { tags, summary: "Rotate the refresh token for a new pair" },
    })
    .post("/auth/logout", ({ session }) => logout(ctx, session.sessionId), { session: true, detail: { tags, summary: "End this session" } })
    .put("/user/activate-account/:token", ({ exchange, params }) => activateAccount(ctx, exchange, params.token), {
      detail: { tags, summary: "Activate the account with the mailed token" },
    })
    // The mailed link itself, when WOLFPAL_APP_URL does not send it to the WolfPal app.
    .get("/user/activate-account/:token", ({ exchange, params }) => activateAccount(ctx, exchange, params.token), {
      detail: { tags, summary: "The mailed activation link (same as PUT)" },
    })
    .post("/user/activate-account/resend", ({ exchange, body }) => resendActivation(ctx, exchange, body), {
      detail: { tags, summary: "Mail the activation link again" },
    })
    .post("/user/forgot-password", ({ exchange, body }) => forgotPassword(ctx, exchange, body), {
      detail: { tags, summary: "Mail a password-reset link" },
    })
    .post("/user/reset-password/:token", ({ exchange, params, body }) => resetPassword(ctx, exchange, params.token, body), {
      detail: { tags, summary: "Set a new password with the mailed token" },
    })
    .post("/account/two-factor", ({ session }) => createTwoFactor(ctx, session.user), {
      session: true,
      detail: { tags, summary: "Start two factor: QR code, secret and 4 backup codes" },
    })
    .put("/account/two-factor", ({ exchange, session, body }) => enableTwoFactor(ctx, exchange, session.user, body), {
      session: true,
      detail: { tags, summary: "Enable two factor with a code from the app" },
    })
    .delete("/account/two-factor", ({ exchange, session, body }) => disableTwoFactor(ctx, exchange, session.user, body), {
      session: true,
      detail: { tags, summary: "Disable two factor with a code from the app" },
    })
    .get("/account/two-factor/backup-codes", ({ session }) => backupCodesFile(ctx, session.user), {
      session: true,
      detail: { tags, summary: "The unused backup codes as a text file" },
    })
    .all("/*", () => Response.json(NOT_FOUND_BODY, { status: 404 }), { detail: { hide: true } });
}
