// POST /auth/login: password (then TOTP when enabled), magic link (no password), impersonation, anonymous.
import { t } from "elysia";
import type { Exchange, HbpContext } from "./context.ts";
import { featureDisabled, HbpError } from "./errors.ts";
import { EMAIL_SCHEMA, PASSWORD_SCHEMA } from "./register.ts";
import { hbpSessionSchema, sessionReply } from "./session-reply.ts";

export const loginBody = t.Object(
  {
    email: t.Optional(EMAIL_SCHEMA),
    password: t.Optional(PASSWORD_SCHEMA),
    cookie: t.Optional(t.Boolean()),
    anonymous: t.Optional(t.Boolean()),
  },
  { additionalProperties: false },
);

export type LoginBody = typeof loginBody.static;

export const loginReplySchema = t.Union([
  hbpSessionSchema,
  t.Object({ mfa: t.Literal(true), ticket: t.String({ description: "For /auth/mfa/totp" }) }, { additionalProperties: false, description: "TOTP is on: send a code with this ticket" }),
  t.Object({ magicLink: t.Literal(true) }, { additionalProperties: false, description: "Without a password (MAGIC_LINK_ENABLED): a sign-in link was mailed, if the address has an account" }),
]);

export type LoginReply = typeof loginReplySchema.static;

export async function login(ctx: HbpContext, exchange: Exchange, body: LoginBody): Promise<LoginReply> {
  const { core, config } = ctx;
  const { client } = exchange;
  const useCookies = body.cookie ?? true;

  if (body.anonymous === true) {
    if (!config.auth.anonymousUsersEnabled) throw featureDisabled("Anonymous sign-in", "ANONYMOUS_USERS_ENABLED");
    const user = await core.signIn.anonymous(client);
    return sessionReply(ctx, exchange, await core.sessionTokens.start(user, client), useCookies);
  }
  if (body.email === undefined) throw new HbpError(400, '"email" is required');

  const adminSecret = exchange.headers.get("x-admin-secret");
  if (config.auth.userImpersonationEnabled && adminSecret !== null) {
    const user = await core.signIn.asAdmin(body.email, adminSecret, client);
    return sessionReply(ctx, exchange, await core.sessionTokens.start(user, client), useCookies);
  }

  if (body.password === undefined) {
    if (!config.auth.magicLinkEnabled) throw new HbpError(400, '"password" is required');
    // The same answer whether or not the address has an account.
    await core.signIn.requestMagicLink(body.email, client);
    return { magicLink: true };
  }

  // Unknown email and wrong password answer alike (401), unlike HBP's "Account does not exist.": see core/passwords/password-check.ts.
  const result = await core.login.withPassword(body.email, body.password, client);
  if (result.kind === "second-factor") return { mfa: true, ticket: result.ticket };
  return sessionReply(ctx, exchange, result.session, useCookies);
}
