// /account/two-factor: set-up (QR code, secret, 4 backup codes), enable, disable, backup codes download.
import { t } from "elysia";
import { isCoreError } from "../../core/errors.ts";
import type { User } from "../../core/accounts/users.ts";
import type { WolfpalContext, WolfpalExchange } from "./context.ts";
import { WolfpalError } from "./errors.ts";
import { rules, validate } from "./validation.ts";

export const twoFactorSetupSchema = t.Object(
  {
    qrImage: t.String({ description: "A QR code, as a data: URL of a PNG" }),
    secret: t.String({ description: "The secret, base32" }),
    backupCodes: t.Array(t.String(), { description: "4 single-use codes that stand in for the app" }),
  },
  { additionalProperties: false },
);

export async function createTwoFactor(ctx: WolfpalContext, user: User): Promise<typeof twoFactorSetupSchema.static> {
  const setup = await ctx.core.twoFactorSetup.start(user.id, user.email ?? user.username ?? user.id);
  return { qrImage: setup.qrCodeDataUrl, secret: setup.secret, backupCodes: setup.backupCodes };
}

/** The body of enable and disable. */
export const codeFields = { code: rules.present };

async function withCode(user: User, body: unknown, action: (userId: string, code: string) => Promise<void>) {
  const { code } = validate(body, codeFields);
  try {
    await action(user.id, code.replace(/\s+/g, ""));
  } catch (error) {
    if (isCoreError(error, "invalid_totp_code")) {
      throw new WolfpalError(400, "INVALID_TWO_FACTOR_TOKEN", "The two factor code is invalid.");
    }
    throw error;
  }
}

export async function enableTwoFactor(ctx: WolfpalContext, exchange: WolfpalExchange, user: User, body: unknown): Promise<{ code: string; message: string }> {
  await withCode(user, body, (userId, code) => ctx.core.twoFactorSetup.enable(userId, code, exchange.client));
  return { code: "TWO_FACTOR_ENABLED", message: "Two factor is now enabled." };
}

export async function disableTwoFactor(ctx: WolfpalContext, exchange: WolfpalExchange, user: User, body: unknown): Promise<{ code: string; message: string }> {
  await withCode(user, body, (userId, code) => ctx.core.twoFactorSetup.disable(userId, code, exchange.client));
  return { code: "TWO_FACTOR_DISABLED", message: "Two factor is now disabled." };
}

/** The unused backup codes as a text file, one per line. */
export async function backupCodesFile(ctx: WolfpalContext, user: User): Promise<Response> {
  const codes = await ctx.core.backupCodes.list(user.id);
  return new Response(`${codes.join("\n")}\n`, {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "content-disposition": 'attachment; filename="backup-codes.txt"',
      "cache-control": "no-store",
    },
  });
}
