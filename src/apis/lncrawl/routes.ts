// Every lncrawl route (spec/lncrawl.md), mounted at LNCRAWL_PREFIX (default /api/auth), with its guards
// (auth-guard.ts: a signed-in user by Bearer JWT or HTTP Basic, or a mailed reset token) and schemas. Handlers live in
// files named after the action. Guessable checks are limited in core (passwords per account and IP, OTP codes).
import { dialect } from "../dialect.ts";
import { createToken, listTokens, verifyToken, verifyTokenQuery } from "./api-tokens.ts";
import { lncrawlGuards } from "./auth-guard.ts";
import type { LncrawlContext, LncrawlExchange } from "./context.ts";
import { LncrawlError, lncrawlErrorResponse } from "./errors.ts";
import { changeName, changePassword, me, nameBody, passwordBody } from "./me.ts";
import { sendOtp, verifyOtp, verifyOtpBody } from "./otp.ts";
import { resetBody, resetLinkBody, resetWithToken, sendResetLink } from "./password-reset.ts";
import { login, loginBody, signup, signupBody } from "./sign-in.ts";

const tags = ["lncrawl"];

export function lncrawlRoutes(ctx: LncrawlContext) {
  return dialect({
    name: "api:lncrawl",
    prefix: ctx.config.lncrawl.prefix,
    // lncrawl's bodies are a few short fields: JSON, or a form for verify-otp.
    body: { maxBytes: 64 * 1024, mediaTypes: ["json", "multipart", "urlencoded"] },
    errorResponse: (code, error) => lncrawlErrorResponse(code, error, ctx.core.logger),
    exchange: (request): LncrawlExchange => ({ headers: request.headers, client: ctx.clientOf(request) }),
  })
    // FastAPI sends `true` as JSON; Elysia would send a bare boolean as text.
    .mapResponse(({ responseValue }) => (typeof responseValue === "boolean" ? Response.json(responseValue) : undefined))
    .macro(lncrawlGuards(ctx))
    .post("/login", ({ exchange, body }) => login(ctx, exchange, body), {
      body: loginBody,
      detail: { tags, summary: "Exchange an email (or `admin`) and password for a JWT" },
    })
    .post("/signup", ({ exchange, body }) => signup(ctx, exchange, body), {
      body: signupBody,
      detail: { tags, summary: "Sign up with a referrer's API token" },
    })
    .get("/me", ({ user }) => me(user), { signedIn: true, detail: { tags, summary: "The signed-in user" } })
    .put("/me/name", ({ user, body }) => changeName(ctx, user, body.name), {
      signedIn: true,
      body: nameBody,
      detail: { tags, summary: "Change the display name" },
    })
    .put("/me/password", ({ exchange, user, body }) => changePassword(ctx, exchange, user, body), {
      signedIn: true,
      body: passwordBody,
      detail: { tags, summary: "Change the password" },
    })
    .post("/send-password-reset-link", ({ exchange, body }) => sendResetLink(ctx, exchange, body.email), {
      body: resetLinkBody,
      detail: { tags, summary: "Mail a password-reset link (always true)" },
    })
    .post("/reset-password-with-token", ({ exchange, mailedToken, body }) => resetWithToken(ctx, exchange, mailedToken, body.password), {
      mailedToken: true,
      body: resetBody,
      detail: { tags, summary: "Set a new password; the mailed token is the Bearer token" },
    })
    .post("/me/send-otp", ({ exchange, user }) => sendOtp(ctx, exchange, user), {
      signedIn: true,
      detail: { tags, summary: "Mail a 6-digit code to verify the address" },
    })
    .post("/verify-otp", ({ exchange, body }) => verifyOtp(ctx, exchange, body), {
      body: verifyOtpBody,
      detail: { tags, summary: "Verify the mailed code (multipart/form-data: otp, token)" },
    })
    .post("/me/create-token", ({ user }) => createToken(ctx, user), {
      signedIn: true,
      detail: { tags, summary: "A long-lived API token (reused while valid for 3 more days)" },
    })
    .get("/verify-token", ({ exchange, query }) => verifyToken(ctx, exchange, query.token), {
      query: verifyTokenQuery,
      detail: { tags, summary: "Whether an API token is valid and its owner active" },
    })
    .post("/me/tokens", ({ user }) => listTokens(ctx, user), {
      signedIn: true,
      detail: { tags, summary: "The signed-in user's API tokens" },
    })
    .all("/*", () => {
      throw new LncrawlError(404, "Not Found");
    }, { detail: { hide: true } });
}
