// /users/[id]/email-verification[/rid] and POST /users/[id]/verify-email: the caller mails the code itself.
import { t } from "elysia";
import type { Exchange, FaroeContext } from "./context.ts";
import { notFound, withErrorCodes } from "./errors.ts";
import { checkEmail } from "./input.ts";
import { emailVerificationModel, userReply, type FaroeEmailVerificationRequest, type FaroeUser } from "./models.ts";
import { requireUser } from "./users.ts";

export const createEmailVerificationBody = t.Object({ email: t.String() }, { additionalProperties: true });
export const verifyEmailBody = t.Object({ request_id: t.String(), code: t.String() }, { additionalProperties: true });

export type CreateEmailVerificationBody = typeof createEmailVerificationBody.static;
export type VerifyEmailBody = typeof verifyEmailBody.static;

export async function createEmailVerification(
  ctx: FaroeContext,
  userId: string,
  body: CreateEmailVerificationBody,
): Promise<FaroeEmailVerificationRequest> {
  await requireUser(ctx, userId);
  checkEmail(body.email);
  return emailVerificationModel(await ctx.core.emailVerification.create(userId, body.email));
}

export async function getEmailVerification(ctx: FaroeContext, userId: string, requestId: string): Promise<FaroeEmailVerificationRequest> {
  const request = await ctx.core.emailVerification.get(userId, requestId);
  if (!request) throw notFound();
  return emailVerificationModel(request);
}

export async function deleteEmailVerification(ctx: FaroeContext, userId: string, requestId: string): Promise<void> {
  if (!(await ctx.core.emailVerification.delete(userId, requestId))) throw notFound();
}

/** Answers the user with the verified address. */
export async function verifyEmail(ctx: FaroeContext, exchange: Exchange, userId: string, body: VerifyEmailBody): Promise<FaroeUser> {
  await requireUser(ctx, userId);
  await withErrorCodes({ request_not_found: "INVALID_REQUEST_ID" }, () =>
    ctx.core.emailVerification.verify(userId, body.request_id, body.code, exchange.client),
  );
  return userReply(ctx, await requireUser(ctx, userId));
}
