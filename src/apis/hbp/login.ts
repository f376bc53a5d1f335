// POST /auth/login
import { t } from "elysia";
import type { Exchange, HbpContext } from "./context.ts";
import { EMAIL_SCHEMA, PASSWORD_SCHEMA } from "./register.ts";
import { sessionReply, type HbpSession } from "./session-reply.ts";

export const loginBody = t.Object(
  {
    email: EMAIL_SCHEMA,
    password: PASSWORD_SCHEMA,
    cookie: t.Optional(t.Boolean()),
  },
  { additionalProperties: false },
);

export type LoginBody = typeof loginBody.static;

export async function login(ctx: HbpContext, exchange: Exchange, body: LoginBody): Promise<HbpSession> {
  // Unknown email and wrong password answer alike (401), unlike HBP's "Account does not exist.": see users.authenticate.
  const user = await ctx.core.users.authenticate(body.email, body.password);
  const tokens = await ctx.core.sessionTokens.start(user, exchange.client);
  return sessionReply(ctx, exchange, tokens, body.cookie ?? true);
}
