// Every Faroe route (spec/faroe.md, seed 002), with its guard and rate limit. Handlers live in files named after
// their resource. The transport rules (credential, Content-Type, Accept) run first, in transport.ts; then every
// route checks the credential again (guards.ts), so no route can be reached without it whatever the path looks like.
import { Elysia, t } from "elysia";
import { dialect } from "../dialect.ts";
import { json, noContent } from "../route-docs.ts";
import { authenticateBody, authenticateWithPassword } from "./authenticate.ts";
import type { Exchange, FaroeContext } from "./context.ts";
import {
  createEmailVerification,
  createEmailVerificationBody,
  deleteEmailVerification,
  getEmailVerification,
  verifyEmail,
  verifyEmailBody,
} from "./email-verification.ts";
import { faroeDoc as doc, NOT_FOUND } from "./docs.ts";
import { faroeErrorResponse } from "./error-handler.ts";
import { notFound } from "./errors.ts";
import { faroeGuards } from "./guards.ts";
import { faroeEmailVerificationSchema, faroePasswordResetSchema, faroeRecoveryCodeSchema, faroeTotpCredentialSchema, faroeUserSchema } from "./models.ts";
import { passwordHashingGuards } from "./limits.ts";
import { updatePassword, updatePasswordBody } from "./password.ts";
import {
  createPasswordReset,
  createResetBody,
  deletePasswordReset,
  getPasswordReset,
  getPasswordResetUser,
  resetCodeBody,
  resetPassword,
  resetPasswordBody,
  resetResetSecondFactor,
  verifyResetEmail,
  verifyResetTotp,
} from "./password-reset.ts";
import { getRecoveryCode, recoveryCodeBody, regenerateRecoveryCode, resetSecondFactor } from "./recovery-code.ts";
import { deleteTotp, getTotp, registerTotp, registerTotpBody, totpCodeBody, verifyTotp } from "./totp.ts";
import { clientIpOf, faroeTransport, MAX_BODY_BYTES } from "./transport.ts";
import { createUser, createUserBody, deleteUser, getUser, listUsers, listUsersQuery } from "./users.ts";

const user = json(faroeUserSchema, "The user.");
const LIMITED = "TOO_MANY_REQUESTS past the route's limit.";
const PASSWORD_CHECK = "USER_NOT_EXISTS, INCORRECT_PASSWORD, EMAIL_NOT_VERIFIED (an account waiting for activation), or TOO_MANY_REQUESTS.";
const NEW_PASSWORD = "WEAK_PASSWORD (under 8 characters, or under MIN_PASSWORD_LENGTH, or breached) or PASSWORD_TOO_LARGE (over 255 bytes).";
const CODE_CHECK = "INCORRECT_CODE, or TOO_MANY_REQUESTS after 5 wrong ones.";

/** Mounted only when FAROE_CREDENTIAL is set; `server.ts` mounts it before the global (HBP-shaped) error hook. */
export function faroeRoutes(ctx: FaroeContext & { credential: string }) {
  const { core, config, credential } = ctx;
  const hashing = passwordHashingGuards(ctx);
  const answerNoContent = (set: { status?: number | string }): void => {
    set.status = 204;
  };

  const routes = dialect({
    name: "api:faroe",
    prefix: config.faroe.prefix,
    body: { maxBytes: MAX_BODY_BYTES, mediaTypes: ["json"] },
    errorResponse: (code, error) => faroeErrorResponse(code, error, core.logger),
    exchange: (request): Exchange => ({ client: { ip: clientIpOf(request.headers), userAgent: null } }),
    // No `passwordRoutes` (dialect.ts): each password try is counted against the per-IP hashing limit (limits.ts)
    // before its check, and a try refused before its body would go uncounted. The hash queue still refuses a try
    // without room first thing in the check (core/passwords/password-check.ts), before anything is read.
  })
    .macro(faroeGuards(credential))
    .guard({ credential: true }, (routes) =>
      routes
        // Authentication. Password hashing: 5 per 50 s per X-Client-IP; login failures: see core/passwords/password-check.ts.
        .post("/login/password", ({ exchange, body }) => authenticateWithPassword(ctx, exchange, body), {
          body: authenticateBody,
          beforeHandle: [hashing.perClientIp],
          detail: doc("Check a user's email and password (the seed's path)", { 200: user, 400: PASSWORD_CHECK }),
        })
        .post("/authenticate/password", ({ exchange, body }) => authenticateWithPassword(ctx, exchange, body), {
          body: authenticateBody,
          beforeHandle: [hashing.perClientIp],
          detail: doc("Check a user's email and password (Faroe's code path)", { 200: user, 400: PASSWORD_CHECK }),
        })

        // Users.
        .post("/users", ({ exchange, body }) => createUser(ctx, exchange, body), {
          body: createUserBody,
          beforeHandle: [hashing.perClientIp],
          detail: doc("Create a user (and their recovery code)", {
            200: json(faroeUserSchema, "The new user."),
            400: `INVALID_EMAIL, EMAIL_ALREADY_USED, ${NEW_PASSWORD} Or ${LIMITED}`,
          }),
        })
        .get("/users", ({ query }) => listUsers(ctx, query), {
          query: listUsersQuery,
          detail: doc.get("Users, page by page: sort_by, sort_order, count, page", {
            200: json(t.Array(faroeUserSchema), "A page of users; [] past the end."),
          }),
        })
        .get("/users/:user_id", ({ params }) => getUser(ctx, params.user_id), { detail: doc.get("A user", { 200: user, 404: NOT_FOUND }) })
        .delete(
          "/users/:user_id",
          async ({ params, set }) => {
            await deleteUser(ctx, params.user_id);
            answerNoContent(set);
          },
          { detail: doc("Delete a user, with their sessions, TOTP, codes and requests", { 204: noContent("Deleted."), 404: NOT_FOUND }) },
        )
        .post(
          "/users/:user_id/password",
          async ({ exchange, params, body, set }) => {
            await updatePassword(ctx, exchange, params.user_id, body);
            answerNoContent(set);
          },
          {
            body: updatePasswordBody,
            // Always counted: per X-Client-IP, or per user without it. Wrong current passwords: the shared guess limiter.
            beforeHandle: [hashing.always],
            detail: doc("Change a user's password, proving the current one", {
              204: noContent("Changed; the user's sessions end, in every API."),
              400: `INCORRECT_PASSWORD, ${NEW_PASSWORD} Or ${LIMITED}`,
              404: NOT_FOUND,
            }),
          },
        )

        // Email verification. Creation: 3 per 15 min per user; each request allows 5 tries of its code.
        .post("/users/:user_id/email-verification", ({ params, body }) => createEmailVerification(ctx, params.user_id, body), {
          body: createEmailVerificationBody,
          detail: doc("Create an email-verification request (the answer carries the code)", {
            200: json(faroeEmailVerificationSchema, "The request, with the code to mail."),
            400: `INVALID_EMAIL, EMAIL_ALREADY_USED (another user has it), or ${LIMITED}`,
            404: NOT_FOUND,
          }),
        })
        .get(
          "/users/:user_id/email-verification/:request_id",
          ({ params }) => getEmailVerification(ctx, params.user_id, params.request_id),
          { detail: doc.get("An email-verification request", { 200: json(faroeEmailVerificationSchema, "The request."), 404: NOT_FOUND }) },
        )
        .delete(
          "/users/:user_id/email-verification/:request_id",
          async ({ params, set }) => {
            await deleteEmailVerification(ctx, params.user_id, params.request_id);
            answerNoContent(set);
          },
          { detail: doc("Delete an email-verification request", { 204: noContent("Deleted."), 404: NOT_FOUND }) },
        )
        .post("/users/:user_id/verify-email", ({ exchange, params, body }) => verifyEmail(ctx, exchange, params.user_id, body), {
          body: verifyEmailBody,
          detail: doc("Verify a request's code: the address becomes the user's, verified", {
            200: json(faroeUserSchema, "The user, with the verified address."),
            400: `INVALID_REQUEST_ID, EMAIL_ALREADY_USED, ${CODE_CHECK}`,
            404: NOT_FOUND,
          }),
        })

        // Second factor. TOTP codes and recovery codes: 5 wrong per 15 min per user (the shared guess limiter).
        .post("/users/:user_id/totp", ({ params, body }) => registerTotp(ctx, params.user_id, body), {
          body: registerTotpBody,
          detail: doc("Register a TOTP credential: totp_key (or key), base64 of 20 bytes, and a code from it", {
            200: json(faroeTotpCredentialSchema, "The credential."),
            400: "INVALID_DATA (a key that is not base64 of 20 bytes), INCORRECT_CODE, or TOO_MANY_REQUESTS.",
            404: NOT_FOUND,
          }),
        })
        .get("/users/:user_id/totp", ({ params }) => getTotp(ctx, params.user_id), {
          detail: doc.get("A user's TOTP credential", { 200: json(faroeTotpCredentialSchema, "The credential."), 404: `${NOT_FOUND} Or the user has none.` }),
        })
        .delete(
          "/users/:user_id/totp",
          async ({ params, set }) => {
            await deleteTotp(ctx, params.user_id);
            answerNoContent(set);
          },
          { detail: doc("Delete a user's TOTP credential", { 204: noContent("Deleted."), 404: `${NOT_FOUND} Or the user has none.` }) },
        )
        .post(
          "/users/:user_id/verify-2fa/totp",
          async ({ exchange, params, body, set }) => {
            await verifyTotp(ctx, exchange, params.user_id, body);
            answerNoContent(set);
          },
          {
            body: totpCodeBody,
            detail: doc("Verify a TOTP code of the user", {
              204: noContent("The code is right."),
              400: `SECOND_FACTOR_NOT_ALLOWED (no credential), ${CODE_CHECK}`,
              404: NOT_FOUND,
            }),
          },
        )
        .get("/users/:user_id/recovery-code", ({ params }) => getRecoveryCode(ctx, params.user_id), {
          detail: doc.get("A user's recovery code", { 200: json(faroeRecoveryCodeSchema, "The code."), 404: NOT_FOUND }),
        })
        .post("/users/:user_id/regenerate-recovery-code", ({ params }) => regenerateRecoveryCode(ctx, params.user_id), {
          detail: doc("Replace a user's recovery code", { 200: json(faroeRecoveryCodeSchema, "The new code."), 404: NOT_FOUND }),
        })
        .post("/users/:user_id/reset-2fa", ({ exchange, params, body }) => resetSecondFactor(ctx, exchange, params.user_id, body), {
          body: recoveryCodeBody,
          detail: doc("Turn TOTP off with the recovery code (answers the new recovery code)", {
            200: json(faroeRecoveryCodeSchema, "TOTP is off; the recovery code that replaces the one used."),
            400: "SECOND_FACTOR_NOT_ALLOWED (no TOTP), INCORRECT_CODE, or TOO_MANY_REQUESTS.",
            404: NOT_FOUND,
          }),
        })

        // Password reset. Creation: 3 per 15 min per X-Client-IP and per user, plus password hashing (the code is
        // stored as argon2id); each request allows 5 tries of its code.
        .post("/password-reset", ({ exchange, body }) => createPasswordReset(ctx, exchange, body), {
          body: createResetBody,
          beforeHandle: [hashing.perClientIp],
          detail: doc("Create a password-reset request (the answer carries the code, once)", {
            200: json(faroePasswordResetSchema, "The request, with its code (shown this once)."),
            400: `INVALID_EMAIL, USER_NOT_EXISTS, or ${LIMITED}`,
          }),
        })
        .get("/password-reset/:request_id", ({ params }) => getPasswordReset(ctx, params.request_id), {
          detail: doc.get("A password-reset request", { 200: json(faroePasswordResetSchema, "The request (without its code)."), 404: NOT_FOUND }),
        })
        .delete(
          "/password-reset/:request_id",
          async ({ params, set }) => {
            await deletePasswordReset(ctx, params.request_id);
            answerNoContent(set);
          },
          { detail: doc("Delete a password-reset request", { 204: noContent("Deleted."), 404: NOT_FOUND }) },
        )
        .get("/password-reset/:request_id/user", ({ params }) => getPasswordResetUser(ctx, params.request_id), {
          detail: doc.get("The user of a password-reset request", { 200: user, 404: NOT_FOUND }),
        })
        .post(
          "/password-reset/:request_id/verify-email",
          async ({ exchange, params, body, set }) => {
            await verifyResetEmail(ctx, exchange, params.request_id, body);
            answerNoContent(set);
          },
          {
            body: resetCodeBody,
            beforeHandle: [hashing.perClientIp],
            detail: doc("Verify a reset request's code", { 204: noContent("The address is verified."), 400: CODE_CHECK, 404: NOT_FOUND }),
          },
        )
        .post(
          "/password-reset/:request_id/verify-2fa/totp",
          async ({ exchange, params, body, set }) => {
            await verifyResetTotp(ctx, exchange, params.request_id, body);
            answerNoContent(set);
          },
          {
            body: resetCodeBody,
            detail: doc("Verify the TOTP code of a reset request's user", {
              204: noContent("The second factor is verified."),
              400: `EMAIL_NOT_VERIFIED (the request's code first), SECOND_FACTOR_NOT_ALLOWED (no TOTP), ${CODE_CHECK}`,
              404: NOT_FOUND,
            }),
          },
        )
        .post(
          "/password-reset/:request_id/reset-2fa",
          ({ exchange, params, body }) => resetResetSecondFactor(ctx, exchange, params.request_id, body),
          {
            body: recoveryCodeBody,
            detail: doc("Turn a reset request's user's TOTP off with the recovery code", {
              200: json(faroeRecoveryCodeSchema, "TOTP is off; the recovery code that replaces the one used."),
              400: "EMAIL_NOT_VERIFIED, SECOND_FACTOR_NOT_ALLOWED, INCORRECT_CODE, or TOO_MANY_REQUESTS.",
              404: NOT_FOUND,
            }),
          },
        )
        .post("/reset-password", ({ body }) => resetPassword(ctx, body), {
          body: resetPasswordBody,
          beforeHandle: [hashing.perClientIp],
          detail: doc("Set the new password with a verified reset request", {
            200: json(faroeUserSchema, "The user; every session of theirs ends."),
            400: `INVALID_REQUEST_ID, EMAIL_NOT_VERIFIED, SECOND_FACTOR_NOT_VERIFIED, INVALID_DATA (over 255 bytes), WEAK_PASSWORD, or ${LIMITED}`,
          }),
        })

        // Anything else under the prefix (any method): Faroe's 404, not the default dialect's.
        .all("", () => {
          throw notFound();
        }, { detail: { hide: true } })
        .all("/*", () => {
          throw notFound();
        }, { detail: { hide: true } }),
    );

  return new Elysia({ name: "api:faroe:mount" }).use(faroeTransport({ prefix: config.faroe.prefix, credential })).use(routes);
}
