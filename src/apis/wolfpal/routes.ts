// Every WolfPal route (spec/wolfpal.md), mounted at WOLFPAL_PREFIX (default /wolfpal), with its guard (session.ts: a
// valid access token of a live session), body fields and answers (docs.ts). Bodies are urlencoded or JSON and are
// checked by the handlers with WolfPal's own field rules (validation.ts), which answer every failing field at once.
// Guessable checks are counted in core (passwords, codes, tokens, mails) and answer 429 past their limits.
import { dialect } from "../dialect.ts";
import { json, media } from "../route-docs.ts";
import { backupCodesFile, codeFields, createTwoFactor, disableTwoFactor, enableTwoFactor, twoFactorSetupSchema } from "./account.ts";
import { login, loginAnswerSchema, loginFields, logout, refresh, refreshFields, register, registerFields, twoFactor, twoFactorAnswerSchema, twoFactorFields } from "./auth.ts";
import type { WolfpalContext, WolfpalExchange } from "./context.ts";
import { fieldsBody, INVALID_FIELDS, LIMITED, UNAUTHORIZED, WOLFPAL_MEDIA_TYPES, wolfpalDoc as doc } from "./docs.ts";
import { messageSchema, NOT_FOUND_BODY, noticeSchema, wolfpalErrorResponse } from "./errors.ts";
import { tokenPairSchema, wolfpalGuards } from "./session.ts";
import { activateAccount, emailFields, forgotPassword, newPasswordFields, resendActivation, resetPassword } from "./user.ts";

const EXPIRED = "EXPIRED_OR_ALREADY_USED: the token is unknown, used or expired.";
const activated = json(messageSchema, "ACTIVATED: the account is active; sign in.");
const TWO_FACTOR_CODE = "INVALID_TWO_FACTOR_TOKEN: the code is wrong; TWO_FACTOR_NOT_INITIALIZE or TWO_FACTOR_ENABLED: not in the state that allows it.";

export function wolfpalRoutes(ctx: WolfpalContext) {
  return dialect({
    name: "api:wolfpal",
    prefix: ctx.config.wolfpal.prefix,
    // WolfPal's bodies are a few short fields, urlencoded or JSON (spec/wolfpal.md decision 2).
    body: { maxBytes: 64 * 1024, mediaTypes: WOLFPAL_MEDIA_TYPES },
    errorResponse: (code, error) => wolfpalErrorResponse(code, error, ctx.core.logger),
    exchange: (request): WolfpalExchange => ({ headers: request.headers, client: ctx.clientOf(request) }),
    // Refused before the body when the client's password check would find no room in the hash queue (dialect.ts).
    passwordRoutes: { paths: ["/auth/login"], clientIp: (request) => ctx.clientOf(request).ip, assertRoom: ctx.core.passwordCheck.assertRoom },
  })
    .macro(wolfpalGuards(ctx))
    .post("/auth/register", async ({ body, set }) => {
      const answer = await register(ctx, body);
      set.status = 201;
      return answer;
    }, {
      detail: doc(
        "Register (username, email, password); mails a confirmation link",
        {
          201: json(noticeSchema, "PENDING_CONFIRMATION: registered; the account waits for its mailed link."),
          400: `${INVALID_FIELDS} Or the address is not allowed, or the password too short, too long or breached.`,
          409: "ALREADY_EXISTS: the username or address is taken; REGISTRATION_DISABLED: registration is closed.",
          503: "INTERNAL_SERVER_ERROR: the confirmation mail could not be queued; nothing was kept.",
        },
        { requestBody: fieldsBody(registerFields) },
      ),
    })
    .post("/auth/login", ({ exchange, body }) => login(ctx, exchange, body), {
      detail: doc(
        "Sign in; with two factor on, answers a token for /auth/two-factor",
        {
          200: json(loginAnswerSchema, "The token pair; or, with two factor on, TWO_FACTOR_REQUIRED and the token for /auth/two-factor."),
          400: `${INVALID_FIELDS} (With \`code: 400\`.) INVALID_CREDENTIALS: wrong email or password; PENDING_CONFIRMATION: not activated.`,
          403: "ACCOUNT_DISABLED.",
          429: LIMITED,
        },
        { requestBody: fieldsBody(loginFields) },
      ),
    })
    .post("/auth/two-factor", ({ exchange, body }) => twoFactor(ctx, exchange, body), {
      detail: doc(
        "Second step: the login token and a TOTP or backup code",
        {
          200: json(twoFactorAnswerSchema, "The token pair."),
          400: `${INVALID_FIELDS} (With \`code: 400\`.) INVALID_TWO_FACTOR_TOKEN: the login token is unknown or expired; PENDING_CONFIRMATION.`,
          401: "INVALID_TWO_FACTOR_CODE: the code is wrong (the token stays usable).",
          403: "ACCOUNT_DISABLED.",
          429: LIMITED,
        },
        { requestBody: fieldsBody(twoFactorFields) },
      ),
    })
    .post("/auth/refresh", ({ exchange, body }) => refresh(ctx, exchange, body), {
      detail: doc(
        "Rotate the refresh token for a new pair",
        {
          200: json(tokenPairSchema, "A new pair; the refresh token sent is spent."),
          400: INVALID_FIELDS,
          401: "UNAUTHORIZED: the refresh token is unknown, spent or expired, or its account may not sign in.",
          429: LIMITED,
        },
        { requestBody: fieldsBody(refreshFields) },
      ),
    })
    .post("/auth/logout", ({ session }) => logout(ctx, session.sessionId), {
      session: true,
      detail: doc("End this session", { 200: json(noticeSchema, "LOGGED_OUT: the session has ended."), 401: UNAUTHORIZED }),
    })
    .put("/user/activate-account/:token", ({ exchange, params }) => activateAccount(ctx, exchange, params.token), {
      detail: doc("Activate the account with the mailed token", { 200: activated, 400: EXPIRED, 429: LIMITED }),
    })
    // The mailed link itself, when WOLFPAL_APP_URL does not send it to the WolfPal app.
    .get("/user/activate-account/:token", ({ exchange, params }) => activateAccount(ctx, exchange, params.token), {
      detail: doc.get("The mailed activation link (same as PUT)", { 200: activated, 400: EXPIRED, 429: LIMITED }),
    })
    .post("/user/activate-account/resend", ({ exchange, body }) => resendActivation(ctx, exchange, body), {
      detail: doc(
        "Mail the activation link again",
        {
          200: json(messageSchema, "PENDING_CONFIRMATION: a link is mailed if an account waits for one; the answer is the same either way."),
          400: INVALID_FIELDS,
          429: LIMITED,
        },
        { requestBody: fieldsBody(emailFields) },
      ),
    })
    .post("/user/forgot-password", ({ exchange, body }) => forgotPassword(ctx, exchange, body), {
      detail: doc(
        "Mail a password-reset link",
        {
          200: json(noticeSchema, "PENDING_CONFIRMATION: a link is mailed if the address has an account; the answer is the same either way."),
          400: INVALID_FIELDS,
          429: LIMITED,
        },
        { requestBody: fieldsBody(emailFields) },
      ),
    })
    .post("/user/reset-password/:token", ({ exchange, params, body }) => resetPassword(ctx, exchange, params.token, body), {
      detail: doc(
        "Set a new password with the mailed token",
        {
          200: json(noticeSchema, "UPDATED: the password is set; every session of the user ends."),
          400: `${INVALID_FIELDS} Or ${EXPIRED} Or the password is too short, too long or breached.`,
          429: LIMITED,
        },
        { requestBody: fieldsBody(newPasswordFields) },
      ),
    })
    .post("/account/two-factor", ({ session }) => createTwoFactor(ctx, session.user), {
      session: true,
      detail: doc("Start two factor: QR code, secret and 4 backup codes", {
        200: json(twoFactorSetupSchema, "The secret for the app, and backup codes; two factor stays off until enabled."),
        400: "TWO_FACTOR_ENABLED: two factor is already on.",
        401: UNAUTHORIZED,
      }),
    })
    .put("/account/two-factor", ({ exchange, session, body }) => enableTwoFactor(ctx, exchange, session.user, body), {
      session: true,
      detail: doc(
        "Enable two factor with a code from the app",
        {
          200: json(messageSchema, "TWO_FACTOR_ENABLED: sign-ins now ask for a code."),
          400: `${INVALID_FIELDS} Or ${TWO_FACTOR_CODE}`,
          401: UNAUTHORIZED,
          429: LIMITED,
        },
        { requestBody: fieldsBody(codeFields) },
      ),
    })
    .delete("/account/two-factor", ({ exchange, session, body }) => disableTwoFactor(ctx, exchange, session.user, body), {
      session: true,
      detail: doc(
        "Disable two factor with a code from the app",
        {
          200: json(messageSchema, "TWO_FACTOR_DISABLED."),
          400: `${INVALID_FIELDS} Or ${TWO_FACTOR_CODE}`,
          401: UNAUTHORIZED,
          429: LIMITED,
        },
        { requestBody: fieldsBody(codeFields) },
      ),
    })
    .get("/account/two-factor/backup-codes", ({ session }) => backupCodesFile(ctx, session.user), {
      session: true,
      detail: doc.get("The unused backup codes as a text file", {
        200: media("text/plain", "One code a line, as an attachment (backup-codes.txt)."),
        401: UNAUTHORIZED,
      }),
    })
    .all("/*", () => Response.json(NOT_FOUND_BODY, { status: 404 }), { detail: { hide: true } });
}
