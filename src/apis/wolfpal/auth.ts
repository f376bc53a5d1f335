// /auth: register, login, two-factor, refresh, logout.
import { t } from "elysia";
import { isCoreError } from "../../core/errors.ts";
import { appLink, type WolfpalContext, type WolfpalExchange } from "./context.ts";
import { WolfpalError } from "./errors.ts";
import { startSession, tokenPair, tokenPairSchema, unauthorized, type TokenPair } from "./session.ts";
import { rules, validate } from "./validation.ts";

/** WolfPal's activation token: 32 characters of [0-9A-Za-z-_] (24 random bytes: 192 bits), 3 hours. */
export const ACTIVATION = { ttlSeconds: 3 * 60 * 60, tokenBytes: 24 };

export const registerFields = { username: rules.username, email: rules.email, password: rules.password };
export const loginFields = { email: rules.present, password: rules.present };
export const twoFactorFields = { token: rules.present, code: rules.present };
export const refreshFields = { refresh_token: rules.present };

/** REGISTRATION_ENABLED=false is core's `registration_closed`: WolfPal's 409 REGISTRATION_DISABLED (errors.ts). */
export async function register(ctx: WolfpalContext, body: unknown): Promise<{ code: string; error: string }> {
  const fields = validate(body, registerFields);
  const user = await ctx.core.users.register(
    { email: fields.email, password: fields.password, username: fields.username, displayName: fields.username },
    { active: false, registeredBy: "self" },
  );
  try {
    // Queued: a mail server that is down delays the mail (it is retried), it does not fail the registration.
    await ctx.core.activation.queueActivationMail(user, { ...ACTIVATION, prefix: appLink(ctx, "/user/activate-account/") });
  } catch (error) {
    // No half-made account: without its mail the user could neither activate it nor register again.
    await ctx.core.users.delete(user.id);
    ctx.core.logger.error("activation mail could not be queued; registration undone", { email: user.email, error });
    throw new WolfpalError(503, "INTERNAL_SERVER_ERROR", "The confirmation email could not be sent; try again later.");
  }
  return { code: "PENDING_CONFIRMATION", error: "Please confirm your email address to complete the registration." };
}

const signedIn = (twoFactor: boolean) => t.Composite([tokenPairSchema, t.Object({ twoFactor: t.Literal(twoFactor) })], { additionalProperties: false });

/** Signed in after the second step: the token pair. */
export const twoFactorAnswerSchema = signedIn(true);

/** Signed in, or (with two factor on) the token for /auth/two-factor. */
export const loginAnswerSchema = t.Union([
  signedIn(false),
  t.Object(
    { code: t.Literal("TWO_FACTOR_REQUIRED"), error: t.String(), token: t.String({ description: "For /auth/two-factor" }), twoFactor: t.Literal(true) },
    { additionalProperties: false },
  ),
]);

export type LoginAnswer = typeof loginAnswerSchema.static;

/** Unknown email and wrong password answer alike (WolfPal tells them apart with NON_EXISTENT; latchkey does not). */
export async function login(ctx: WolfpalContext, exchange: WolfpalExchange, body: unknown): Promise<LoginAnswer> {
  const fields = validate(body, loginFields, { withCode: true });
  const result = await ctx.core.login.withPasswordToSession(fields.email, fields.password, exchange.client);
  if (result.kind === "second-factor") {
    return { code: "TWO_FACTOR_REQUIRED" as const, error: "Two Factor is required to complete login.", token: result.ticket, twoFactor: true as const };
  }
  return { ...(await tokenPair(ctx, result.session.user, result.session)), twoFactor: false };
}

/** A TOTP code or one of the backup codes; the token from login stays usable after a wrong code (rate limited). */
export async function twoFactor(ctx: WolfpalContext, exchange: WolfpalExchange, body: unknown): Promise<typeof twoFactorAnswerSchema.static> {
  const fields = validate(body, twoFactorFields, { withCode: true });
  try {
    const user = await ctx.core.signIn.withTotp(fields.token, fields.code.replace(/\s+/g, ""), exchange.client, { backupCodes: true });
    return { ...(await startSession(ctx, exchange, user)), twoFactor: true };
  } catch (error) {
    if (isCoreError(error, "invalid_ticket")) throw new WolfpalError(400, "INVALID_TWO_FACTOR_TOKEN", "The two factor token is invalid or expired.");
    throw error;
  }
}

/** Rotates the refresh token; any failure is WolfPal's 401 (as JSON: decision 6). */
export async function refresh(ctx: WolfpalContext, exchange: WolfpalExchange, body: unknown): Promise<TokenPair> {
  const fields = validate(body, refreshFields);
  try {
    const issued = await ctx.core.sessions.rotate(fields.refresh_token, exchange.client);
    return await tokenPair(ctx, issued.user, issued);
  } catch (error) {
    if (isCoreError(error, "rate_limited")) throw error;
    throw unauthorized();
  }
}

export async function logout(ctx: WolfpalContext, sessionId: string): Promise<{ code: string; error: string }> {
  await ctx.core.sessions.endSession(sessionId);
  return { code: "LOGGED_OUT", error: "You are now logged out." };
}
