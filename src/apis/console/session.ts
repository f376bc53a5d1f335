// POST /session (email and password), POST /session/totp and /session/passkey[/verify] (the second step),
// GET /session, DELETE /session.
import { t } from "elysia";
import type { ConsoleCaller, StartedConsoleSession } from "../../core/administration/console-sessions.ts";
import { MAX_PASSWORD_LENGTH } from "../../core/accounts/registration-policy.ts";
import type { User } from "../../core/accounts/users.ts";
import { integer } from "../route-docs.ts";
import { asAssertion, assertionResponseSchema } from "../webauthn-schemas.ts";
import type { ConsoleContext, ConsoleExchange } from "./context.ts";
import { clearedCookie, sessionCookie } from "./cookies.ts";
import { ConsoleError } from "./errors.ts";

export const signInBody = t.Object(
  {
    email: t.String({ minLength: 1, maxLength: 254, description: "The administrator's address (or username)" }),
    password: t.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
  },
  { additionalProperties: false },
);

export const totpBody = t.Object(
  {
    ticket: t.String({ minLength: 1, maxLength: 64, description: "The `ticket` of the answer to POST /session" }),
    code: t.String({ minLength: 6, maxLength: 6, pattern: "^[0-9]{6}$", description: "The authenticator's 6-digit code" }),
  },
  { additionalProperties: false },
);

export const passkeyOptionsBody = t.Object(
  { ticket: t.String({ minLength: 1, maxLength: 64, description: "The `ticket` of the answer to POST /session" }) },
  { additionalProperties: false },
);

export const passkeyBody = t.Object(
  {
    ticket: t.String({ minLength: 1, maxLength: 64, description: "The `ticket` of the answer to POST /session" }),
    credential: assertionResponseSchema,
  },
  { additionalProperties: false },
);

const sessionSchema = t.Object(
  {
    admin: t.Object({ id: t.String(), email: t.Nullable(t.String()), username: t.Nullable(t.String()) }, { additionalProperties: false }),
    csrf_token: t.String({ description: "Send it as X-CSRF-Token with every request that changes something" }),
    second_factor: t.Union([t.Literal("totp"), t.Literal("passkey"), t.Literal("none")], { description: "what proved the administrator beyond the password" }),
    expires_at: integer({ description: "the session's end whatever happens, 8 hours after the sign-in (epoch ms)" }),
    idle_timeout_seconds: integer({ description: "CONSOLE_SESSION_IDLE_MINUTES: a session unused this long is over" }),
  },
  { additionalProperties: false },
);

export const signedInSchema = t.Object(
  { status: t.Literal("signed_in"), session: sessionSchema },
  { $id: "ConsoleSignedIn", additionalProperties: false, description: "Signed in: the cookie is set" },
);

/** The second step. `methods` lists what the administrator can answer with: a TOTP code, a passkey, or either. */
export const secondStepSchema = t.Object(
  {
    status: t.Literal("second_factor"),
    ticket: t.String({ description: "Send it back with the code to POST /console/api/session/totp, or to /session/passkey for a passkey's challenge" }),
    methods: t.Array(t.Union([t.Literal("totp"), t.Literal("passkey")])),
  },
  { $id: "ConsoleSecondStep", additionalProperties: false, description: "The password was right; now the second factor" },
);

type SignedIn = typeof signedInSchema.static;
type SecondStep = typeof secondStepSchema.static;

function signedIn(ctx: ConsoleContext, admin: User, session: StartedConsoleSession["session"], csrfToken: string): SignedIn {
  return {
    status: "signed_in",
    session: {
      admin: { id: admin.id, email: admin.email, username: admin.username },
      csrf_token: csrfToken,
      second_factor: session.secondFactor === "totp" || session.secondFactor === "passkey" ? session.secondFactor : "none",
      expires_at: session.expiresAt,
      idle_timeout_seconds: ctx.core.administration.sessions.idleSeconds,
    },
  };
}

function started(ctx: ConsoleContext, exchange: ConsoleExchange, admin: User, { token, csrfToken, session }: StartedConsoleSession): SignedIn {
  exchange.setCookie(sessionCookie(ctx.config, token));
  return signedIn(ctx, admin, session, csrfToken);
}

export async function signIn(ctx: ConsoleContext, exchange: ConsoleExchange, body: typeof signInBody.static): Promise<SignedIn | SecondStep> {
  const outcome = await ctx.core.administration.signIn.withPassword(body.email, body.password, exchange.client);
  if (outcome.kind === "second-factor") return { status: "second_factor", ticket: outcome.ticket, methods: outcome.methods };
  return started(ctx, exchange, outcome.admin, outcome.started);
}

export async function signInWithTotp(ctx: ConsoleContext, exchange: ConsoleExchange, body: typeof totpBody.static): Promise<SignedIn> {
  const { admin, started: session } = await ctx.core.administration.signIn.withTotp(body.ticket, body.code, exchange.client);
  return started(ctx, exchange, admin, session);
}

export async function passkeyOptions(ctx: ConsoleContext, exchange: ConsoleExchange, body: typeof passkeyOptionsBody.static) {
  if (!ctx.config.webauthn.enabled) throw passkeysOff();
  return ctx.core.administration.signIn.passkeyOptions(body.ticket, exchange.client);
}

export async function signInWithPasskey(ctx: ConsoleContext, exchange: ConsoleExchange, body: typeof passkeyBody.static): Promise<SignedIn> {
  if (!ctx.config.webauthn.enabled) throw passkeysOff();
  const { admin, started: session } = await ctx.core.administration.signIn.withPasskey(body.ticket, asAssertion(body.credential), exchange.client);
  return started(ctx, exchange, admin, session);
}

const passkeysOff = () => new ConsoleError(404, "passkeys_disabled", "Passkeys are off (WEBAUTHN_ENABLED=false): answer with a TOTP code.");

export function currentSession(ctx: ConsoleContext, caller: ConsoleCaller): SignedIn {
  return signedIn(ctx, caller.admin, caller.session, caller.csrfToken);
}

export async function signOut(ctx: ConsoleContext, exchange: ConsoleExchange, caller: ConsoleCaller): Promise<void> {
  await ctx.core.administration.signIn.signOut(caller.session, caller.admin, exchange.client);
  exchange.setCookie(clearedCookie(ctx.config));
}
