// Every lncrawl route (spec/lncrawl.md), mounted at LNCRAWL_PREFIX (default /api/auth), with its guards
// (auth-guard.ts: a signed-in user by Bearer JWT or HTTP Basic, or a mailed reset token), schemas and answers
// (docs.ts). Handlers live in files named after the action. Guessable checks are counted in core (passwords per account
// and IP, OTP codes, API tokens, mails) and answer 429 past their limits.
import { t } from "elysia";
import { dialect } from "../dialect.ts";
import { json } from "../route-docs.ts";
import { createToken, listTokens, userTokenSchema, verifyToken, verifyTokenQuery } from "./api-tokens.ts";
import { lncrawlGuards } from "./auth-guard.ts";
import type { LncrawlContext, LncrawlExchange } from "./context.ts";
import { lncrawlDoc as doc, SIGNED_IN_ERRORS } from "./docs.ts";
import { LncrawlError, lncrawlErrorResponse } from "./errors.ts";
import { changeName, changePassword, me, nameBody, passwordBody } from "./me.ts";
import { sendOtp, verifyOtp, verifyOtpBody } from "./otp.ts";
import { resetBody, resetLinkBody, resetWithToken, sendResetLink } from "./password-reset.ts";
import { login, loginBody, signup, signupBody } from "./sign-in.ts";
import { loginAnswerSchema, lncrawlUserSchema } from "./user-view.ts";

const TRUE = json(t.Literal(true), "Done (FastAPI's `true`).");
const token = (description: string) => json(t.Object({ token: t.String() }, { additionalProperties: false }), description);
const LIMITED = "Too many tries from this address or for this account; Retry-After says when to try again.";
const PASSWORD_RULES = "Validation error: the password is too short, too long or breached (or a field is wrong).";

export function lncrawlRoutes(ctx: LncrawlContext) {
  return dialect({
    name: "api:lncrawl",
    prefix: ctx.config.lncrawl.prefix,
    // lncrawl's bodies are a few short fields: JSON, or a form for verify-otp.
    body: { maxBytes: 64 * 1024, mediaTypes: ["json", "multipart", "urlencoded"] },
    errorResponse: (code, error) => lncrawlErrorResponse(code, error, ctx.core.logger),
    exchange: (request): LncrawlExchange => ({ headers: request.headers, client: ctx.clientOf(request) }),
    // Refused before the body when the client's password check would find no room in the hash queue (dialect.ts).
    passwordRoutes: { paths: ["/login"], clientIp: (request) => ctx.clientOf(request).ip, assertRoom: ctx.core.passwordCheck.assertRoom },
  })
    // FastAPI sends `true` as JSON; Elysia would send a bare boolean as text.
    .mapResponse(({ responseValue }) => (typeof responseValue === "boolean" ? Response.json(responseValue) : undefined))
    .macro(lncrawlGuards(ctx))
    .post("/login", ({ exchange, body }) => login(ctx, exchange, body), {
      body: loginBody,
      detail: doc("Exchange an email (or `admin`) and password for a JWT", {
        200: json(loginAnswerSchema, "The token and the user."),
        401: "Unauthorized: wrong email or password (the two alike).",
        403: "The account is disabled or not active, or has a second factor (sign in through HBP's /auth/login).",
        429: LIMITED,
      }),
    })
    .post("/signup", ({ exchange, body }) => signup(ctx, exchange, body), {
      body: signupBody,
      detail: doc("Sign up with a referrer's API token", {
        200: json(loginAnswerSchema, "The token and the new user, active at once."),
        403: "The referrer's token is unknown or expired, the referrer is not active, or registration is closed.",
        409: "User already exists.",
        422: "Validation error: the address is not allowed, or the password is too short, too long or breached.",
        429: LIMITED,
      }),
    })
    .get("/me", ({ user }) => me(user), {
      signedIn: true,
      detail: doc.get("The signed-in user", { 200: json(lncrawlUserSchema, "The user."), ...SIGNED_IN_ERRORS }),
    })
    .put("/me/name", ({ user, body }) => changeName(ctx, user, body.name), {
      signedIn: true,
      body: nameBody,
      detail: doc("Change the display name", { 200: TRUE, ...SIGNED_IN_ERRORS }),
    })
    .put("/me/password", ({ exchange, user, body }) => changePassword(ctx, exchange, user, body), {
      signedIn: true,
      body: passwordBody,
      detail: doc("Change the password", {
        200: TRUE,
        ...SIGNED_IN_ERRORS,
        401: `${SIGNED_IN_ERRORS[401]} Or the old password is wrong.`,
        422: PASSWORD_RULES,
      }),
    })
    .post("/send-password-reset-link", ({ exchange, body }) => sendResetLink(ctx, exchange, body.email), {
      body: resetLinkBody,
      detail: doc("Mail a password-reset link (always true)", {
        200: json(t.Literal(true), "A link is mailed if the address has an active account; the answer is the same either way."),
        429: LIMITED,
      }),
    })
    .post("/reset-password-with-token", ({ exchange, mailedToken, body }) => resetWithToken(ctx, exchange, mailedToken, body.password), {
      mailedToken: true,
      body: resetBody,
      detail: doc("Set a new password; the mailed token is the Bearer token", {
        200: TRUE,
        401: "Not authenticated (no Bearer token), or the token is unknown, used or expired.",
        422: PASSWORD_RULES,
        429: LIMITED,
      }),
    })
    .post("/me/send-otp", ({ exchange, user }) => sendOtp(ctx, exchange, user), {
      signedIn: true,
      detail: doc("Mail a 6-digit code to verify the address", {
        200: token("The token to send back with the code to /verify-otp."),
        ...SIGNED_IN_ERRORS,
        409: "Email is already verified.",
      }),
    })
    .post("/verify-otp", ({ exchange, body }) => verifyOtp(ctx, exchange, body), {
      body: verifyOtpBody,
      detail: doc("Verify the mailed code (multipart/form-data: otp, token)", {
        200: TRUE,
        401: "The token is unknown, used or expired.",
        403: "Wrong OTP.",
        429: LIMITED,
      }),
    })
    .post("/me/create-token", ({ user }) => createToken(ctx, user), {
      signedIn: true,
      detail: doc("A long-lived API token (reused while valid for 3 more days)", {
        200: token("The API token (a referrer's token for /signup)."),
        ...SIGNED_IN_ERRORS,
      }),
    })
    .get("/verify-token", ({ exchange, query }) => verifyToken(ctx, exchange, query.token), {
      query: verifyTokenQuery,
      detail: doc.get("Whether an API token is valid and its owner active", {
        200: json(t.Boolean(), "true when the owner is active, false when not."),
        403: "Invalid token, or token expired.",
        429: LIMITED,
      }),
    })
    .post("/me/tokens", ({ user }) => listTokens(ctx, user), {
      signedIn: true,
      detail: doc("The signed-in user's API tokens", { 200: json(t.Array(userTokenSchema), "The tokens."), ...SIGNED_IN_ERRORS }),
    })
    .all("/*", () => {
      throw new LncrawlError(404, "Not Found");
    }, { detail: { hide: true } });
}
