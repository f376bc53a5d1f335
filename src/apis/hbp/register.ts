// POST /auth/register
import { t } from "elysia";
import { MAX_PASSWORD_LENGTH } from "../../core/accounts/registration-policy.ts";
import type { User } from "../../core/accounts/users.ts";
import type { Exchange, HbpContext } from "./context.ts";
import { HbpError } from "./errors.ts";
import { hbpUser, hbpUserSchema, sessionReply, type HbpSession } from "./session-reply.ts";

export const EMAIL_SCHEMA = t.String({ format: "email", maxLength: 254 });
export const PASSWORD_SCHEMA = t.String({ maxLength: MAX_PASSWORD_LENGTH });

const ROLE = t.String({ minLength: 1, maxLength: 64 });

export const registerBody = t.Object(
  {
    email: EMAIL_SCHEMA,
    password: t.Optional(PASSWORD_SCHEMA),
    cookie: t.Optional(t.Boolean()),
    user_data: t.Optional(t.Record(t.String({ maxLength: 64 }), t.Unknown(), { maxProperties: 64 })),
    register_options: t.Optional(
      t.Object(
        {
          allowed_roles: t.Optional(t.Array(ROLE, { maxItems: 64 })),
          default_role: t.Optional(ROLE),
          // Seed 000 spells it `default_roles`; HBP's code reads `default_role`. Both are accepted.
          default_roles: t.Optional(ROLE),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type RegisterBody = typeof registerBody.static;

/** Registration that waits for activation answers no tokens. */
export const pendingRegistrationSchema = t.Object(
  { jwt_token: t.Null(), jwt_expires_in: t.Null(), user: hbpUserSchema },
  { additionalProperties: false, description: "An account waiting for activation: no tokens" },
);

export type PendingRegistration = typeof pendingRegistrationSchema.static;

export async function register(ctx: HbpContext, exchange: Exchange, body: RegisterBody): Promise<HbpSession | PendingRegistration> {
  const { core, config } = ctx;
  const passwordless = body.password === undefined;
  if (passwordless && !config.auth.magicLinkEnabled) throw new HbpError(400, '"password" is required');

  const user = await core.users.register(
    {
      email: body.email,
      password: body.password ?? null,
      customFields: body.user_data,
      allowedRoles: body.register_options?.allowed_roles,
      defaultRole: body.register_options?.default_role ?? body.register_options?.default_roles,
    },
    { active: config.auth.autoActivateNewUsers, registeredBy: "self" },
  );

  return registeredReply(ctx, exchange, user, { activationMail: passwordless ? "magic-link" : "activation", useCookies: body.cookie ?? true });
}

/**
 * What a new account is answered, however it signed up (a password, a magic link, a passkey): a session, or, while
 * it waits for activation, no tokens, with the activation mail queued when VERIFY_EMAILS says so.
 * `activationMail`: the link that activates it (a magic link signs a password-less account in as well).
 */
export async function registeredReply(
  ctx: HbpContext,
  exchange: Exchange,
  user: User,
  options: { activationMail: "activation" | "magic-link"; useCookies: boolean },
): Promise<HbpSession | PendingRegistration> {
  const { core, config } = ctx;
  if (!user.active) {
    if (config.auth.verifyEmails) {
      // The mail is queued: a mail server that is down delays it (it is retried), it does not fail the registration.
      try {
        if (options.activationMail === "magic-link") await core.activation.queueMagicRegistrationMail(user);
        else await core.activation.queueActivationMail(user);
      } catch (error) {
        // No half-made account: without its mail the user could never activate it, nor register again.
        await core.users.delete(user.id);
        core.logger.error("activation mail could not be queued; registration undone", { email: user.email, error });
        throw new HbpError(503, "Could not send the activation email; try again later.");
      }
    }
    // HBP issues tokens to an inactive account when VERIFY_EMAILS is off; latchkey does not (it could not sign in).
    return { jwt_token: null, jwt_expires_in: null, user: hbpUser(user) };
  }

  const tokens = await core.sessionTokens.start(user, exchange.client);
  return sessionReply(ctx, exchange, tokens, options.useCookies);
}
