// Sign-in through GitHub, Google and OpenID Connect providers (core/identities/provider-flow.ts), HBP's way:
//   GET  /auth/providers/<p>[?redirect_to=&link=true]  to the provider, with the state bound to this browser
//   GET  /auth/providers/<p>/callback                   (POST with a form: form_post providers such as Apple)
//        -> 302 to the success URL with ?refresh_token= (and HBP's cookies), or with ?mfa_ticket= for a user with
//           TOTP; a link -> ?provider_linked=<p>; a failure -> 302 to the failure URL with ?error=<code>
// and the signed-in user's own identities, GET /auth/user/providers and DELETE /auth/user/providers/<p>.
import { t } from "elysia";
import { BUILT_IN_PROVIDER_NAMES, oidcVariablePrefix } from "../../config-providers.ts";
import type { LinkedIdentity } from "../../core/identities/identities.ts";
import type { ProviderFailureCode } from "../../core/identities/provider-flow.ts";
import type { IdentityProvider } from "../../core/identities/provider.ts";
import type { User } from "../../core/accounts/users.ts";
import { withQuery } from "./activate.ts";
import type { Exchange, HbpContext } from "./context.ts";
import { HbpError } from "./errors.ts";
import { caller } from "./request-auth.ts";
import { sessionReply } from "./session-reply.ts";

/** The cookie that binds a flow's state to the browser that started it: signed, HttpOnly, for the flow's routes only. */
export const STATE_COOKIE = "provider_state";
const STATE_COOKIE_PATH = "/auth/providers";
/** As long as the state itself lives (provider-flow.ts). */
const STATE_COOKIE_SECONDS = 10 * 60;

const PROVIDER_NAME = t.String({ pattern: "^[a-z0-9-]{1,32}$", description: "`github`, `google` ..., or a name of OIDC_PROVIDERS" });
export const providerParams = t.Object({ provider: PROVIDER_NAME });

export const providerStartQuery = t.Object({
  redirect_to: t.Optional(t.String({ maxLength: 2048, description: "Where to land afterwards, instead of PROVIDER_SUCCESS_REDIRECT; must be on REDIRECT_URL_ALLOWLIST" })),
  link: t.Optional(t.Union([t.Literal("true"), t.Literal("false")], { description: "`true`: link the provider to the signed-in account (its cookies or access token) instead of signing in" })),
});

/** What a provider sends back (the query, or a form_post's form); other parameters are passed on to the adapter. */
export const providerAnswerFields = t.Object({
  code: t.Optional(t.String({ maxLength: 4096 })),
  state: t.Optional(t.String({ maxLength: 256 })),
  error: t.Optional(t.String({ maxLength: 256 })),
  error_description: t.Optional(t.String({ maxLength: 2048 })),
  iss: t.Optional(t.String({ maxLength: 2048 })),
  user: t.Optional(t.String({ maxLength: 4096, description: "Apple: the person's name, as JSON, on the first sign-in only" })),
});

export const linkedProvidersSchema = t.Array(
  t.Object(
    {
      provider: t.String(),
      email: t.Nullable(t.String({ description: "The address the provider gave at the last sign-in" })),
      created_at: t.String({ format: "date-time" }),
      last_used_at: t.Nullable(t.String({ format: "date-time" })),
    },
    { additionalProperties: false },
  ),
  { description: "The providers linked to the account, oldest first" },
);

/** What each failure code says, for `error_description`. */
const FAILURES: Record<ProviderFailureCode, string> = {
  invalid_state: "The sign-in was not started in this browser, took too long, or was used already; start again.",
  access_denied: "The sign-in was cancelled at the provider.",
  provider_error: "The provider could not be reached or answered something unusable.",
  invalid_id_token: "The provider's ID token did not check out.",
  profile_incomplete: "The provider gave no email address for a new account.",
  email_in_use: "An account with this email address exists; sign in to it and link the provider there.",
  identity_in_use: "This provider account is linked to another account.",
  provider_already_linked: "The account is linked to another account of this provider already.",
  account_disabled: "The account is disabled.",
  account_inactive: "The account is not activated.",
  user_not_found: "The account no longer exists.",
  registration_closed: "Registration is closed.",
  email_domain_not_allowed: "The email address is not in an allowed domain.",
  server_error: "Something went wrong on our side; try again.",
};

/** The enabled provider of that name, or HBP's 404 saying how to enable it. */
function enabledProvider(ctx: HbpContext, name: string): IdentityProvider {
  const provider = ctx.core.providerFlow.provider(name);
  if (provider !== null) return provider;
  const builtIn = (BUILT_IN_PROVIDER_NAMES as readonly string[]).includes(name);
  const how = builtIn ? `set ${name.toUpperCase()}_ENABLED=true with its client settings` : `add it to OIDC_PROVIDERS with its ${oidcVariablePrefix(name)}* settings`;
  throw new HbpError(404, `Sign-in with "${name}" is disabled; ${how}`);
}

/** Where the provider sends the browser back: the URL to register at the provider. */
function callbackUrl(ctx: HbpContext, name: string): string {
  return `${ctx.core.publicUrl()}/auth/providers/${name}/callback`;
}

function failureUrl(ctx: HbpContext, code: ProviderFailureCode): string {
  const landing = ctx.config.providers.failureRedirect;
  // Config requires a success URL (the failure URL's last default) once any provider is enabled.
  if (landing === null) throw new HbpError(404, "Provider sign-in is disabled; set PROVIDER_SUCCESS_REDIRECT");
  return withQuery(withQuery(landing, "error", code), "error_description", FAILURES[code]);
}

/** GET /auth/providers/<p>: the provider's URL to redirect to. */
export async function startProviderSignIn(
  ctx: HbpContext,
  exchange: Exchange,
  name: string,
  query: typeof providerStartQuery.static,
): Promise<string> {
  const provider = enabledProvider(ctx, name);
  let linkUserId: string | null = null;
  if (query.link === "true") {
    const signedIn = await caller(ctx, exchange.headers);
    if (signedIn === null) throw new HbpError(401, "Sign in first: linking a provider needs the account's session (its cookies or access token)");
    linkUserId = signedIn.user.id;
  }
  const started = await ctx.core.providerFlow.start(provider, {
    redirectTo: query.redirect_to ?? null,
    linkUserId,
    callbackUrl: callbackUrl(ctx, name),
    client: exchange.client,
  });
  if (started.kind === "failed") return failureUrl(ctx, started.code);
  const crossSite = provider.responseMode === "form_post";
  exchange.setCookie(ctx.cookies.pathCookie(STATE_COOKIE, started.state, { path: STATE_COOKIE_PATH, maxAgeSeconds: STATE_COOKIE_SECONDS, crossSite }));
  return started.url.href;
}

/** GET or POST /auth/providers/<p>/callback: where to redirect the browser. */
export async function finishProviderSignIn(ctx: HbpContext, exchange: Exchange, name: string, fields: Record<string, unknown>): Promise<string> {
  const provider = enabledProvider(ctx, name);
  const browserState = ctx.cookies.read(exchange.headers.get("cookie"), STATE_COOKIE);
  // Single-use: whatever happens next, this browser's state is spent.
  exchange.setCookie(ctx.cookies.clearedPathCookie(STATE_COOKIE, STATE_COOKIE_PATH));
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) if (typeof value === "string") params[key] = value;
  const outcome = await ctx.core.providerFlow.callback(provider, { params, browserState, callbackUrl: callbackUrl(ctx, name), client: exchange.client });
  switch (outcome.kind) {
    case "signed-in":
      sessionReply(ctx, exchange, outcome.session, true);
      return withQuery(outcome.redirectTo, "refresh_token", outcome.session.refreshToken);
    case "second-factor":
      return withQuery(outcome.redirectTo, "mfa_ticket", outcome.ticket);
    case "linked":
      return withQuery(outcome.redirectTo, "provider_linked", name);
    case "failed":
      return failureUrl(ctx, outcome.code);
  }
}

/** GET /auth/user/providers */
export async function linkedProviders(ctx: HbpContext, user: User): Promise<typeof linkedProvidersSchema.static> {
  const iso = (ms: number) => new Date(ms).toISOString();
  return (await ctx.core.identities.ofUser(user.id)).map((identity: LinkedIdentity) => ({
    provider: identity.provider,
    email: identity.email,
    created_at: iso(identity.createdAt),
    last_used_at: identity.lastUsedAt === null ? null : iso(identity.lastUsedAt),
  }));
}

/** DELETE /auth/user/providers/<p> */
export async function unlinkProvider(ctx: HbpContext, exchange: Exchange, user: User, name: string): Promise<void> {
  await ctx.core.identities.unlink(user.id, name, exchange.client);
}
