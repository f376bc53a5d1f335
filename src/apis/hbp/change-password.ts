// POST /auth/change-password, /auth/change-password/request and /auth/change-password/change (LOST_PASSWORD_ENABLED),
// and seed 001's POST /auth/account/forgot.
import { t } from "elysia";
import type { Exchange, HbpContext } from "./context.ts";
import { EMAIL_SCHEMA, PASSWORD_SCHEMA } from "./register.ts";
import type { Caller } from "./request-auth.ts";

const TICKET = t.String({ maxLength: 64 });

export const changePasswordBody = t.Object(
  // HBP requires neither; an account without a password (magic link) sets its first one without `old_password`.
  { old_password: t.Optional(PASSWORD_SCHEMA), new_password: PASSWORD_SCHEMA },
  { additionalProperties: false },
);
export const lostPasswordBody = t.Object({ email: EMAIL_SCHEMA }, { additionalProperties: false });
export const resetPasswordBody = t.Object({ ticket: TICKET, new_password: PASSWORD_SCHEMA }, { additionalProperties: false });

export type ChangePasswordBody = typeof changePasswordBody.static;
export type ResetPasswordBody = typeof resetPasswordBody.static;

/** Ends the user's other sessions; the one making the change stays signed in. */
export async function changePassword(ctx: HbpContext, exchange: Exchange, caller: Caller, body: ChangePasswordBody): Promise<void> {
  await ctx.core.passwordReset.change(caller.user.id, body.old_password ?? "", body.new_password, {
    ...exchange.client,
    keepSession: caller.sessionId,
  });
}

export async function requestPasswordReset(ctx: HbpContext, exchange: Exchange, email: string): Promise<void> {
  await ctx.core.passwordReset.request(email, exchange.client);
}

export async function resetPassword(ctx: HbpContext, exchange: Exchange, body: ResetPasswordBody): Promise<void> {
  await ctx.core.passwordReset.reset(body.ticket, body.new_password, exchange.client);
}
