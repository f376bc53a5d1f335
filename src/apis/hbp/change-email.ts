// POST /auth/change-email (VERIFY_EMAILS=false), /auth/change-email/request and /change (VERIFY_EMAILS=true).
import { t } from "elysia";
import type { Exchange, HbpContext } from "./context.ts";
import { EMAIL_SCHEMA } from "./register.ts";

export const newEmailBody = t.Object({ new_email: EMAIL_SCHEMA }, { additionalProperties: false });
export const emailTicketBody = t.Object({ ticket: t.String({ maxLength: 64 }) }, { additionalProperties: false });

export async function changeEmailDirectly(ctx: HbpContext, userId: string, newEmail: string): Promise<void> {
  await ctx.core.emailChange.changeDirectly(userId, newEmail);
}

export async function requestEmailChange(ctx: HbpContext, exchange: Exchange, userId: string, newEmail: string): Promise<void> {
  await ctx.core.emailChange.request(userId, newEmail, exchange.client);
}

export async function confirmEmailChange(ctx: HbpContext, exchange: Exchange, ticket: string): Promise<void> {
  await ctx.core.emailChange.confirm(ticket, exchange.client);
}
