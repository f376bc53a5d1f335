// POST /users/[id]/password: a new password, proving the current one. The user's sessions end (all dialects).
import { t } from "elysia";
import type { Exchange, FaroeContext } from "./context.ts";
import { expected, withErrorCodes } from "./errors.ts";
import { checkNewPassword, isTooLarge } from "./input.ts";
import { requireUser } from "./users.ts";

export const updatePasswordBody = t.Object({ password: t.String(), new_password: t.String() }, { additionalProperties: true });

export type UpdatePasswordBody = typeof updatePasswordBody.static;

export async function updatePassword(ctx: FaroeContext, exchange: Exchange, userId: string, body: UpdatePasswordBody): Promise<void> {
  await requireUser(ctx, userId);
  if (isTooLarge(body.password)) throw expected("INVALID_DATA");
  checkNewPassword(body.new_password, "PASSWORD_TOO_LARGE");
  await withErrorCodes({ password_too_long: "PASSWORD_TOO_LARGE" }, () =>
    ctx.core.passwordReset.change(userId, body.password, body.new_password, { ...exchange.client, keepSession: null }),
  );
}
