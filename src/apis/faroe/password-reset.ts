// /password-reset[/id[/user|/verify-email|/verify-2fa/totp|/reset-2fa]] and POST /reset-password: the caller
// mails the code itself; the request proves the address, then the second factor when the user has one.
import { t } from "elysia";
import type { Exchange, FaroeContext } from "./context.ts";
import { notFound, withErrorCodes } from "./errors.ts";
import { checkEmail, checkNewPassword } from "./input.ts";
import { resetRequestModel, userReply, type FaroePasswordResetRequest, type FaroeRecoveryCode, type FaroeUser } from "./models.ts";

export const createResetBody = t.Object({ email: t.String() }, { additionalProperties: true });
export const resetCodeBody = t.Object({ code: t.String() }, { additionalProperties: true });
export const resetPasswordBody = t.Object({ request_id: t.String(), password: t.String() }, { additionalProperties: true });

export type CreateResetBody = typeof createResetBody.static;
export type ResetCodeBody = typeof resetCodeBody.static;
export type ResetPasswordBody = typeof resetPasswordBody.static;

/** The request with its code: the only time the code is shown. */
export async function createPasswordReset(ctx: FaroeContext, exchange: Exchange, body: CreateResetBody): Promise<FaroePasswordResetRequest> {
  checkEmail(body.email);
  const { request, code } = await withErrorCodes({ user_not_found: "USER_NOT_EXISTS" }, () =>
    ctx.core.resetRequests.create(body.email, exchange.client),
  );
  return resetRequestModel(request, code);
}

export async function getPasswordReset(ctx: FaroeContext, requestId: string): Promise<FaroePasswordResetRequest> {
  const request = await ctx.core.resetRequests.get(requestId);
  if (!request) throw notFound();
  return resetRequestModel(request);
}

export async function deletePasswordReset(ctx: FaroeContext, requestId: string): Promise<void> {
  if (!(await ctx.core.resetRequests.delete(requestId))) throw notFound();
}

export async function getPasswordResetUser(ctx: FaroeContext, requestId: string): Promise<FaroeUser> {
  return userReply(ctx, await ctx.core.resetRequests.userOf(requestId));
}

export async function verifyResetEmail(ctx: FaroeContext, exchange: Exchange, requestId: string, body: ResetCodeBody): Promise<void> {
  await ctx.core.resetRequests.verifyEmail(requestId, body.code, exchange.client);
}

export async function verifyResetTotp(ctx: FaroeContext, exchange: Exchange, requestId: string, body: ResetCodeBody): Promise<void> {
  await ctx.core.resetRequests.verifyTotp(requestId, body.code, exchange.client);
}

export async function resetResetSecondFactor(
  ctx: FaroeContext,
  exchange: Exchange,
  requestId: string,
  body: { recovery_code: string },
): Promise<FaroeRecoveryCode> {
  return { recovery_code: await ctx.core.resetRequests.resetSecondFactor(requestId, body.recovery_code, exchange.client) };
}

/** Faroe documents INVALID_DATA (not PASSWORD_TOO_LARGE) for a password over 255 bytes here. */
export async function resetPassword(ctx: FaroeContext, body: ResetPasswordBody): Promise<FaroeUser> {
  checkNewPassword(body.password, "INVALID_DATA");
  const user = await withErrorCodes({ request_not_found: "INVALID_REQUEST_ID", password_too_long: "INVALID_DATA" }, () =>
    ctx.core.resetRequests.resetPassword(body.request_id, body.password),
  );
  return userReply(ctx, user);
}
