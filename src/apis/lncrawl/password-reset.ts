// POST /send-password-reset-link and POST /reset-password-with-token (the mailed token as the Bearer token: the
// route's guard, auth-guard.ts).
import { t } from "elysia";
import { linkPrefix } from "../../core/mail/intents.ts";
import { MAX_PASSWORD_LENGTH } from "../../core/accounts/registration-policy.ts";
import type { LncrawlContext, LncrawlExchange } from "./context.ts";

export const resetLinkBody = t.Object({ email: t.String({ format: "email", maxLength: 254 }) });
export const resetBody = t.Object({ password: t.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }) });

/**
 * Always `true`: lncrawl answers 404/403 for unknown or inactive addresses, which tells anyone which addresses have
 * accounts; latchkey mails only real, active accounts and answers the same either way.
 */
export async function sendResetLink(ctx: LncrawlContext, exchange: LncrawlExchange, email: string): Promise<true> {
  const linkBase = ctx.config.lncrawl.resetUrl ?? `${ctx.core.publicUrl()}/reset-password`;
  await ctx.core.passwordReset.request(email, exchange.client, { prefix: linkPrefix(linkBase, "token") });
  return true;
}

/** The token is single-use and expires (TICKET_EXPIRES_IN_SECONDS); lncrawl's was a reusable 5-minute JWT. */
export async function resetWithToken(ctx: LncrawlContext, exchange: LncrawlExchange, token: string, password: string): Promise<true> {
  await ctx.core.passwordReset.reset(token, password, exchange.client);
  return true;
}
