// GET /users/[id]/recovery-code, POST /users/[id]/regenerate-recovery-code, POST /users/[id]/reset-2fa.
import { t } from "elysia";
import type { Exchange, FaroeContext } from "./context.ts";
import type { FaroeRecoveryCode } from "./models.ts";
import { requireUser } from "./users.ts";

export const recoveryCodeBody = t.Object({ recovery_code: t.String() }, { additionalProperties: true });

export type RecoveryCodeBody = typeof recoveryCodeBody.static;

export async function getRecoveryCode(ctx: FaroeContext, userId: string): Promise<FaroeRecoveryCode> {
  await requireUser(ctx, userId);
  return { recovery_code: await ctx.core.secondFactorReset.currentCode(userId) };
}

export async function regenerateRecoveryCode(ctx: FaroeContext, userId: string): Promise<FaroeRecoveryCode> {
  await requireUser(ctx, userId);
  return { recovery_code: await ctx.core.secondFactorReset.newCode(userId) };
}

/** Turns TOTP off with the recovery code; answers the code that replaces it. */
export async function resetSecondFactor(ctx: FaroeContext, exchange: Exchange, userId: string, body: RecoveryCodeBody): Promise<FaroeRecoveryCode> {
  await requireUser(ctx, userId);
  return { recovery_code: await ctx.core.secondFactorReset.reset(userId, body.recovery_code, exchange.client) };
}
