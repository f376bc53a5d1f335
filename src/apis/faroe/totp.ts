// /users/[id]/totp (register, get, delete) and POST /users/[id]/verify-2fa/totp.
// Keys travel as standard base64 of 20 bytes (latchkey keeps base32, as authenticator apps take it).
// latchkey accepts a code of the current 30 s step or the previous one (Faroe: the current one only), once.
import { t } from "elysia";
import type { Exchange, FaroeContext } from "./context.ts";
import { expected, notFound } from "./errors.ts";
import { totpModel, type FaroeTotpCredential } from "./models.ts";
import { requireUser } from "./users.ts";

/** `totp_key` in Faroe's reference, `key` in its code: either is taken. */
export const registerTotpBody = t.Object(
  { totp_key: t.Optional(t.String()), key: t.Optional(t.String()), code: t.String() },
  { additionalProperties: true },
);
export const totpCodeBody = t.Object({ code: t.String() }, { additionalProperties: true });

export type RegisterTotpBody = typeof registerTotpBody.static;
export type TotpCodeBody = typeof totpCodeBody.static;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard base64 of exactly 20 bytes, or INVALID_DATA. */
function decodeKey(encoded: string | undefined): Uint8Array {
  if (encoded === undefined || !BASE64.test(encoded)) throw expected("INVALID_DATA");
  const key = Buffer.from(encoded, "base64");
  if (key.length !== 20) throw expected("INVALID_DATA");
  return new Uint8Array(key);
}

/** Replaces any credential; the code must come from the new key (INCORRECT_CODE otherwise, also when not 6 characters). */
export async function registerTotp(ctx: FaroeContext, userId: string, body: RegisterTotpBody): Promise<FaroeTotpCredential> {
  await requireUser(ctx, userId);
  const key = decodeKey(body.totp_key ?? body.key);
  if (body.code.length !== 6) throw expected("INCORRECT_CODE");
  return totpModel(await ctx.core.totp.register(userId, key, body.code));
}

export async function getTotp(ctx: FaroeContext, userId: string): Promise<FaroeTotpCredential> {
  const credential = await ctx.core.totp.credentialOf(userId);
  if (!credential) throw notFound();
  return totpModel(credential);
}

export async function deleteTotp(ctx: FaroeContext, userId: string): Promise<void> {
  await requireUser(ctx, userId);
  if (!(await ctx.core.totp.remove(userId))) throw notFound();
}

/** SECOND_FACTOR_NOT_ALLOWED without a credential; TOO_MANY_REQUESTS after 5 wrong codes (per user). */
export async function verifyTotp(ctx: FaroeContext, exchange: Exchange, userId: string, body: TotpCodeBody): Promise<void> {
  await requireUser(ctx, userId);
  await ctx.core.totp.verify(userId, body.code, exchange.client);
}
