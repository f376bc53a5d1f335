// /auth/mfa/*: TOTP enrolment (MFA_ENABLED) and the second step of sign-in.
import { t } from "elysia";
import type { User } from "../../core/accounts/users.ts";
import type { Exchange, HbpContext } from "./context.ts";
import { sessionReply, type HbpSession } from "./session-reply.ts";

const CODE = t.String({ minLength: 1, maxLength: 10 });

export const mfaSecretSchema = t.Object(
  { image_url: t.String({ description: "A QR code, as a data: URL of a PNG" }), otp_secret: t.String({ description: "The secret, base32" }) },
  { additionalProperties: false },
);

export const mfaCodeBody = t.Object({ code: CODE }, { additionalProperties: false });
export const mfaTotpBody = t.Object(
  { ticket: t.String({ maxLength: 64 }), code: CODE, cookie: t.Optional(t.Boolean()) },
  { additionalProperties: false },
);

export type MfaTotpBody = typeof mfaTotpBody.static;

export async function generateMfa(ctx: HbpContext, user: User): Promise<typeof mfaSecretSchema.static> {
  // HBP labels the authenticator entry with the user id; the address is what a person recognises.
  const enrolment = await ctx.core.totp.generate(user.id, user.email ?? user.id);
  return { image_url: enrolment.qrCodeDataUrl, otp_secret: enrolment.secret };
}

export async function enableMfa(ctx: HbpContext, exchange: Exchange, userId: string, code: string): Promise<void> {
  await ctx.core.totp.enable(userId, code, exchange.client);
}

export async function disableMfa(ctx: HbpContext, exchange: Exchange, userId: string, code: string): Promise<void> {
  await ctx.core.totp.disable(userId, code, exchange.client);
}

/** Always served, even with MFA_ENABLED=false: a user with TOTP (from any dialect) signs in through it. */
export async function totpSignIn(ctx: HbpContext, exchange: Exchange, body: MfaTotpBody): Promise<HbpSession> {
  const user = await ctx.core.signIn.withTotp(body.ticket, body.code, exchange.client);
  const tokens = await ctx.core.sessionTokens.start(user, exchange.client);
  return sessionReply(ctx, exchange, tokens, body.cookie ?? true);
}
