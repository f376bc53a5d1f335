// POST /me/send-otp and POST /verify-otp (multipart/form-data `otp`, `token`).
import { t } from "elysia";
import type { Account } from "../../core/accounts/users.ts";
import type { LncrawlContext, LncrawlExchange } from "./context.ts";

export const verifyOtpBody = t.Object({ otp: t.String({ maxLength: 16 }), token: t.String({ maxLength: 64 }) });

export async function sendOtp(ctx: LncrawlContext, exchange: LncrawlExchange, user: Account): Promise<{ token: string }> {
  return { token: await ctx.core.emailOtp.send(user.id, exchange.client) };
}

export async function verifyOtp(ctx: LncrawlContext, exchange: LncrawlExchange, body: typeof verifyOtpBody.static): Promise<true> {
  await ctx.core.emailOtp.verify(body.token, body.otp.trim(), exchange.client);
  return true;
}
