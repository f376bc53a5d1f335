// Every Faroe route (spec/faroe.md, seed 002), with its guard and rate limit. Handlers live in files named after
// their resource. The transport rules (credential, Content-Type, Accept) run first, in transport.ts; then every
// route checks the credential again (guards.ts), so no route can be reached without it whatever the path looks like.
import { Elysia } from "elysia";
import { dialect } from "../dialect.ts";
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
import { faroeErrorResponse } from "./error-handler.ts";
import { notFound } from "./errors.ts";
import { faroeGuards } from "./guards.ts";
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

const tags = ["Faroe"];

/** Mounted only when FAROE_CREDENTIAL is set; `server.ts` mounts it before the global (HBP-shaped) error hook. */
export function faroeRoutes(ctx: FaroeContext & { credential: string }) {
  const { core, config, credential } = ctx;
  const hashing = passwordHashingGuards(ctx);
  const noContent = (set: { status?: number | string }): void => {
    set.status = 204;
  };

  const routes = dialect({
    name: "api:faroe",
    prefix: config.faroe.prefix,
    body: { maxBytes: MAX_BODY_BYTES, mediaTypes: ["json"] },
    errorResponse: (code, error) => faroeErrorResponse(code, error, core.logger),
    exchange: (request): Exchange => ({ client: { ip: clientIpOf(request.headers), userAgent: null } }),
  })
    .macro(faroeGuards(credential))
    .guard({ credential: true }, (routes) =>
      routes
        // Authentication. Password hashing: 5 per 50 s per X-Client-IP; login failures: see core/password-check.ts.
        .post("/login/password", ({ exchange, body }) => authenticateWithPassword(ctx, exchange, body), {
          body: authenticateBody,
          beforeHandle: [hashing.perClientIp],
          detail: { tags, summary: "Check a user's email and password (the seed's path)" },
        })
        .post("/authenticate/password", ({ exchange, body }) => authenticateWithPassword(ctx, exchange, body), {
          body: authenticateBody,
          beforeHandle: [hashing.perClientIp],
          detail: { tags, summary: "Check a user's email and password (Faroe's code path)" },
        })

        // Users.
        .post("/users", ({ exchange, body }) => createUser(ctx, exchange, body), {
          body: createUserBody,
          beforeHandle: [hashing.perClientIp],
          detail: { tags, summary: "Create a user (and their recovery code)" },
        })
        .get("/users", ({ query }) => listUsers(ctx, query), {
          query: listUsersQuery,
          detail: { tags, summary: "Users, page by page: sort_by, sort_order, count, page" },
        })
        .get("/users/:user_id", ({ params }) => getUser(ctx, params.user_id), { detail: { tags, summary: "A user" } })
        .delete(
          "/users/:user_id",
          async ({ params, set }) => {
            await deleteUser(ctx, params.user_id);
            noContent(set);
          },
          { detail: { tags, summary: "Delete a user, with their sessions, TOTP, codes and requests" } },
        )
        .post(
          "/users/:user_id/password",
          async ({ exchange, params, body, set }) => {
            await updatePassword(ctx, exchange, params.user_id, body);
            noContent(set);
          },
          {
            body: updatePasswordBody,
            // Always counted: per X-Client-IP, or per user without it. Wrong current passwords: the shared guess limiter.
            beforeHandle: [hashing.always],
            detail: { tags, summary: "Change a user's password, proving the current one" },
          },
        )

        // Email verification. Creation: 3 per 15 min per user; each request allows 5 tries of its code.
        .post("/users/:user_id/email-verification", ({ params, body }) => createEmailVerification(ctx, params.user_id, body), {
          body: createEmailVerificationBody,
          detail: { tags, summary: "Create an email-verification request (the answer carries the code)" },
        })
        .get(
          "/users/:user_id/email-verification/:request_id",
          ({ params }) => getEmailVerification(ctx, params.user_id, params.request_id),
          { detail: { tags, summary: "An email-verification request" } },
        )
        .delete(
          "/users/:user_id/email-verification/:request_id",
          async ({ params, set }) => {
            await deleteEmailVerification(ctx, params.user_id, params.request_id);
            noContent(set);
          },
          { detail: { tags, summary: "Delete an email-verification request" } },
        )
        .post("/users/:user_id/verify-email", ({ exchange, params, body }) => verifyEmail(ctx, exchange, params.user_id, body), {
          body: verifyEmailBody,
          detail: { tags, summary: "Verify a request's code: the address becomes the user's, verified" },
        })

        // Second factor. TOTP codes and recovery codes: 5 wrong per 15 min per user (the shared guess limiter).
        .post("/users/:user_id/totp", ({ params, body }) => registerTotp(ctx, params.user_id, body), {
          body: registerTotpBody,
          detail: { tags, summary: "Register a TOTP credential: totp_key (or key), base64 of 20 bytes, and a code from it" },
        })
        .get("/users/:user_id/totp", ({ params }) => getTotp(ctx, params.user_id), {
          detail: { tags, summary: "A user's TOTP credential" },
        })
        .delete(
          "/users/:user_id/totp",
          async ({ params, set }) => {
            await deleteTotp(ctx, params.user_id);
            noContent(set);
          },
          { detail: { tags, summary: "Delete a user's TOTP credential" } },
        )
        .post(
          "/users/:user_id/verify-2fa/totp",
          async ({ exchange, params, body, set }) => {
            await verifyTotp(ctx, exchange, params.user_id, body);
            noContent(set);
          },
          { body: totpCodeBody, detail: { tags, summary: "Verify a TOTP code of the user" } },
        )
        .get("/users/:user_id/recovery-code", ({ params }) => getRecoveryCode(ctx, params.user_id), {
          detail: { tags, summary: "A user's recovery code" },
        })
        .post("/users/:user_id/regenerate-recovery-code", ({ params }) => regenerateRecoveryCode(ctx, params.user_id), {
          detail: { tags, summary: "Replace a user's recovery code" },
        })
        .post("/users/:user_id/reset-2fa", ({ exchange, params, body }) => resetSecondFactor(ctx, exchange, params.user_id, body), {
          body: recoveryCodeBody,
          detail: { tags, summary: "Turn TOTP off with the recovery code (answers the new recovery code)" },
        })

        // Password reset. Creation: 3 per 15 min per X-Client-IP and per user, plus password hashing (the code is
        // stored as argon2id); each request allows 5 tries of its code.
        .post("/password-reset", ({ exchange, body }) => createPasswordReset(ctx, exchange, body), {
          body: createResetBody,
          beforeHandle: [hashing.perClientIp],
          detail: { tags, summary: "Create a password-reset request (the answer carries the code, once)" },
        })
        .get("/password-reset/:request_id", ({ params }) => getPasswordReset(ctx, params.request_id), {
          detail: { tags, summary: "A password-reset request" },
        })
        .delete(
          "/password-reset/:request_id",
          async ({ params, set }) => {
            await deletePasswordReset(ctx, params.request_id);
            noContent(set);
          },
          { detail: { tags, summary: "Delete a password-reset request" } },
        )
        .get("/password-reset/:request_id/user", ({ params }) => getPasswordResetUser(ctx, params.request_id), {
          detail: { tags, summary: "The user of a password-reset request" },
        })
        .post(
          "/password-reset/:request_id/verify-email",
          async ({ exchange, params, body, set }) => {
            await verifyResetEmail(ctx, exchange, params.request_id, body);
            noContent(set);
          },
          { body: resetCodeBody, beforeHandle: [hashing.perClientIp], detail: { tags, summary: "Verify a reset request's code" } },
        )
        .post(
          "/password-reset/:request_id/verify-2fa/totp",
          async ({ exchange, params, body, set }) => {
            await verifyResetTotp(ctx, exchange, params.request_id, body);
            noContent(set);
          },
          { body: resetCodeBody, detail: { tags, summary: "Verify the TOTP code of a reset request's user" } },
        )
        .post(
          "/password-reset/:request_id/reset-2fa",
          ({ exchange, params, body }) => resetResetSecondFactor(ctx, exchange, params.request_id, body),
          { body: recoveryCodeBody, detail: { tags, summary: "Turn a reset request's user's TOTP off with the recovery code" } },
        )
        .post("/reset-password", ({ body }) => resetPassword(ctx, body), {
          body: resetPasswordBody,
          beforeHandle: [hashing.perClientIp],
          detail: { tags, summary: "Set the new password with a verified reset request" },
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
