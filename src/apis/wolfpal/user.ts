// /user: account activation (and resend), forgotten password and reset.
import { isCoreError } from "../../core/errors.ts";
import { ACTIVATION } from "./auth.ts";
import { appLink, type WolfpalContext, type WolfpalExchange } from "./context.ts";
import { WolfpalError } from "./errors.ts";
import { rules, validate } from "./validation.ts";

export const emailFields = { email: rules.email };
export const newPasswordFields = { password: rules.password };

const EXPIRED = () => new WolfpalError(400, "EXPIRED_OR_ALREADY_USED", "This token is expired or has already been used.");

async function orExpired<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (isCoreError(error, "invalid_ticket")) throw EXPIRED();
    throw error;
  }
}

export async function activateAccount(ctx: WolfpalContext, exchange: WolfpalExchange, token: string): Promise<{ code: string; message: string }> {
  await orExpired(() => ctx.core.activation.activate(token, exchange.client));
  return { code: "ACTIVATED", message: "Your account has been activated. You can now login." };
}

/**
 * Always PENDING_CONFIRMATION: WolfPal answers 409 NON_EXISTENT_OR_ALREADY_ACTIVATED, which tells anyone which
 * addresses have accounts; latchkey mails only accounts waiting for activation and answers the same either way.
 */
export async function resendActivation(ctx: WolfpalContext, exchange: WolfpalExchange, body: unknown): Promise<{ code: string; message: string }> {
  const { email } = validate(body, emailFields);
  await ctx.core.activation.resend(email, exchange.client, { ...ACTIVATION, prefix: appLink(ctx, "/user/activate-account/") });
  return { code: "PENDING_CONFIRMATION", message: "Please confirm your email address to complete the registration." };
}

/** 64-character token (48 random bytes), 15 minutes (WolfPal's); the same answer for any address (no NON_EXISTENT). */
export async function forgotPassword(ctx: WolfpalContext, exchange: WolfpalExchange, body: unknown): Promise<{ code: string; error: string }> {
  const { email } = validate(body, emailFields);
  await ctx.core.passwordReset.request(email, exchange.client, {
    ttlSeconds: 15 * 60,
    tokenBytes: 48,
    prefix: appLink(ctx, "/user/reset-password/"),
  });
  return { code: "PENDING_CONFIRMATION", error: "If that account exists, a password reset email is on its way." };
}

/** Sets the password; every session of the user ends. */
export async function resetPassword(ctx: WolfpalContext, exchange: WolfpalExchange, token: string, body: unknown): Promise<{ code: string; error: string }> {
  const { password } = validate(body, newPasswordFields);
  await orExpired(() => ctx.core.passwordReset.reset(token, password, exchange.client));
  return { code: "UPDATED", error: "Your password has been updated." };
}
