// POST /auth/change-email (VERIFY_EMAILS=false), /auth/change-email/request and /change (VERIFY_EMAILS=true).
import { t } from "elysia";
import type { Exchange, HbpContext } from "./context.ts";
import { featureDisabled, HbpError } from "./errors.ts";
import { EMAIL_SCHEMA } from "./register.ts";
import { requireUserId } from "./request-auth.ts";

export const newEmailBody = t.Object({ new_email: EMAIL_SCHEMA }, { additionalProperties: false });
export const emailTicketBody = t.Object({ ticket: t.String({ maxLength: 64 }) }, { additionalProperties: false });

function assertEnabled(ctx: HbpContext, options: { verified: boolean }): void {
  const { changeEmailEnabled, verifyEmails } = ctx.config.auth;
  if (!changeEmailEnabled) throw featureDisabled("Email change", "CHANGE_EMAIL_ENABLED");
  if (options.verified && !verifyEmails) throw featureDisabled("Verified email change", "VERIFY_EMAILS");
  if (!options.verified && verifyEmails) {
    throw new HbpError(404, "Direct email change is disabled while VERIFY_EMAILS=true; use /auth/change-email/request");
  }
}

export async function changeEmailDirectly(ctx: HbpContext, exchange: Exchange, newEmail: string): Promise<void> {
  assertEnabled(ctx, { verified: false });
  const userId = await requireUserId(ctx, exchange.headers);
  await ctx.core.emailChange.changeDirectly(userId, newEmail);
}

export async function requestEmailChange(ctx: HbpContext, exchange: Exchange, newEmail: string): Promise<void> {
  assertEnabled(ctx, { verified: true });
  const userId = await requireUserId(ctx, exchange.headers);
  await ctx.core.emailChange.request(userId, newEmail, exchange.client);
}

export async function confirmEmailChange(ctx: HbpContext, exchange: Exchange, ticket: string): Promise<void> {
  assertEnabled(ctx, { verified: true });
  await ctx.core.emailChange.confirm(ticket, exchange.client);
}
