// The sign-in flow every provider shares (HBP's GET /auth/providers/<p> and its callback), around the provider's
// adapter (provider.ts):
//
//   start     a single-use `state` (core/challenges openFlow "oauth-state", 10 minutes) holding what the callback
//             needs: the provider, the PKCE verifier, the nonce, where to land, and for a link the account it is for.
//             The dialect binds the state to the browser (a signed cookie) and sends the browser to the provider.
//   callback  the state must be the browser's own (compared in constant time with what the cookie holds) and is used
//             up (consumeFlow: a replayed or unknown state fails); then the adapter exchanges the code and checks what
//             the provider says, and core/sign-in/provider-sign-in.ts finds, joins or makes the account and starts
//             the session, or links the identity to the account that started a link.
//
// Every failure of a callback is an outcome with a code for the failure redirect (`?error=<code>`), recorded as the
// security event `provider_sign_in_failed`, the cause logged; never the code, the state or a token.
import type { Config } from "../../config.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Random } from "../../lib/random.ts";
import { constantTimeEqual } from "../../lib/secrets.ts";
import type { Challenges } from "../challenges/challenges.ts";
import { CoreError, isCoreError, type CoreErrorCode } from "../errors.ts";
import type { SecurityEvents } from "../security-events.ts";
import type { SessionTokens } from "../sessions/session-tokens.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import type { Observations } from "../observations.ts";
import type { ProviderSignIn } from "../sign-in/provider-sign-in.ts";
import { ProviderError, type IdentityProvider, type ProviderErrorCode } from "./provider.ts";
import type { ProviderRegistry } from "./providers.ts";

/** A person saying no at the provider: OAuth's `access_denied`, and Apple's own `user_cancelled_authorize`. */
const REFUSALS = new Set(["access_denied", "user_cancelled_authorize"]);

/** How long a started sign-in may take at the provider. */
const STATE_TTL_SECONDS = 10 * 60;

/** Why a callback failed: the `error` of the failure redirect (README "Sign in with OIDC and OAuth providers"). */
export type ProviderFailureCode =
  | ProviderErrorCode
  /** The state is missing, not this browser's, unknown, expired, used already, or of another provider. */
  | "invalid_state"
  | Extract<
      CoreErrorCode,
      | "email_in_use"
      | "identity_in_use"
      | "provider_already_linked"
      | "account_disabled"
      | "account_inactive"
      | "user_not_found"
      | "registration_closed"
      | "email_domain_not_allowed"
    >
  /** Something of latchkey's own failed (the database ...): the log says what. */
  | "server_error";

const CORE_FAILURES = new Set<string>([
  "email_in_use",
  "identity_in_use",
  "provider_already_linked",
  "account_disabled",
  "account_inactive",
  "user_not_found",
  "registration_closed",
  "email_domain_not_allowed",
]);

export type ProviderStart = { kind: "redirect"; url: URL; state: string } | { kind: "failed"; code: ProviderFailureCode };

export type ProviderCallback =
  | { kind: "signed-in"; session: SessionTokens; redirectTo: string }
  /** The user has TOTP: the ticket for the second step (HBP's POST /auth/mfa/totp), no session. */
  | { kind: "second-factor"; ticket: string; redirectTo: string }
  | { kind: "linked"; redirectTo: string }
  | { kind: "failed"; code: ProviderFailureCode };

export interface ProviderFlow {
  /** The enabled provider of that name, or null. */
  provider(name: string): IdentityProvider | null;
  /**
   * Where to send the browser. `redirectTo`: where to land afterwards (null: the success URL), refused with
   * `redirect_not_allowed` unless on REDIRECT_URL_ALLOWLIST. `linkUserId`: the signed-in account to link the
   * identity to. `callbackUrl`: the dialect's callback route, as the provider must see it. A provider that cannot
   * be reached is a `failed` outcome.
   */
  start(
    provider: IdentityProvider,
    options: { redirectTo: string | null; linkUserId: string | null; callbackUrl: string; client: SessionContext },
  ): Promise<ProviderStart>;
  /**
   * The provider's answer: its parameters (query, or form for form_post), and the state the browser's cookie
   * holds (null: none, e.g. another browser).
   */
  callback(
    provider: IdentityProvider,
    input: { params: Record<string, string>; browserState: string | null; callbackUrl: string; client: SessionContext },
  ): Promise<ProviderCallback>;
  /** Whether `url` may be a `redirect_to`: on REDIRECT_URL_ALLOWLIST, by origin and path prefix. */
  isAllowedRedirect(url: string): boolean;
}

/** What the state keeps for the callback. */
interface FlowData {
  provider: string;
  codeVerifier: string;
  nonce: string;
  redirectTo: string;
  linkUserId: string | null;
}

function flowData(data: Record<string, unknown>): FlowData | null {
  const { provider, codeVerifier, nonce, redirectTo, linkUserId } = data;
  if (typeof provider !== "string" || typeof codeVerifier !== "string" || typeof nonce !== "string" || typeof redirectTo !== "string") return null;
  return { provider, codeVerifier, nonce, redirectTo, linkUserId: typeof linkUserId === "string" ? linkUserId : null };
}

/** Whether `candidate` is under `entry`: the same origin, and the entry's path or below it (segment by segment). */
function underEntry(candidate: URL, entry: URL): boolean {
  if (candidate.origin !== entry.origin || candidate.username !== "" || candidate.password !== "") return false;
  const prefix = entry.pathname;
  return candidate.pathname === prefix || candidate.pathname.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`);
}

export function createProviderFlow(deps: {
  settings: Pick<Config["providers"], "successRedirect" | "redirectAllowlist">;
  registry: ProviderRegistry;
  challenges: Challenges;
  providerSignIn: ProviderSignIn;
  random: Random;
  events: SecurityEvents;
  logger: Logger;
  observations: Pick<Observations, "passwordlessSignIn">;
}): ProviderFlow {
  const { settings, registry, challenges, providerSignIn, random, events, logger, observations } = deps;
  const allowlist = settings.redirectAllowlist.map((entry) => new URL(entry));

  function isAllowedRedirect(url: string): boolean {
    if (!URL.canParse(url)) return false;
    const candidate = new URL(url);
    return /^https?:$/.test(candidate.protocol) && allowlist.some((entry) => underEntry(candidate, entry));
  }

  /** The failure's code, recorded and logged with its cause. */
  function failed(provider: string, error: unknown, client: SessionContext): { kind: "failed"; code: ProviderFailureCode } {
    let code: ProviderFailureCode;
    let detail: string | undefined;
    if (error instanceof ProviderError) [code, detail] = [error.code, error.detail];
    else if (isCoreError(error, "invalid_ticket")) [code, detail] = ["invalid_state", error.detail];
    else if (error instanceof CoreError && CORE_FAILURES.has(error.code)) [code, detail] = [error.code as ProviderFailureCode, error.detail];
    else {
      code = "server_error";
      logger.error("provider sign-in failed", { provider, error });
    }
    events.record("provider_sign_in_failed", { ip: client.ip, account: `provider:${provider}`, reason: code });
    observations.passwordlessSignIn("provider", "failed");
    if (detail !== undefined) logger.warn("provider sign-in refused", { provider, reason: code, detail });
    return { kind: "failed", code };
  }

  return {
    provider: (name) => registry.get(name),

    isAllowedRedirect,

    async start(provider, { redirectTo, linkUserId, callbackUrl, client }) {
      if (redirectTo !== null && !isAllowedRedirect(redirectTo)) throw new CoreError("redirect_not_allowed");
      const landing = redirectTo ?? settings.successRedirect;
      // Config requires a success URL once a provider is enabled; without one no provider exists to get here.
      if (landing === null) throw new Error("no PROVIDER_SUCCESS_REDIRECT");
      // 256-bit PKCE verifier and nonce (43 base64url characters: RFC 7636's shortest verifier).
      const codeVerifier = random.token(32);
      const nonce = random.token(32);
      const data = { provider: provider.name, codeVerifier, nonce, redirectTo: landing, linkUserId };
      const state = await challenges.openFlow("oauth-state", { userId: linkUserId, ttlSeconds: STATE_TTL_SECONDS, data });
      try {
        return { kind: "redirect", url: await provider.authorizationUrl({ state, codeVerifier, nonce, redirectUri: callbackUrl }), state };
      } catch (error) {
        return failed(provider.name, error, client);
      }
    },

    async callback(provider, { params, browserState, callbackUrl, client }) {
      try {
        const state = params.state ?? "";
        // Bound to the browser: a state from someone else's flow (login CSRF) is not this browser's cookie.
        if (browserState === null || state === "" || !constantTimeEqual(state, browserState)) {
          throw new CoreError("invalid_ticket", browserState === null ? "no state cookie" : "the state is not the cookie's");
        }
        const flow = await challenges.consumeFlow("oauth-state", state).catch((error: unknown) => {
          throw isCoreError(error, "invalid_ticket") ? new CoreError("invalid_ticket", "the state is unknown, expired or used already") : error;
        });
        const data = flowData(flow.data);
        if (data === null || data.provider !== provider.name) throw new CoreError("invalid_ticket", "the state is another provider's");
        // Checked after the state is used up: an answer with an error ends the flow as well.
        if (params.error !== undefined) {
          // The provider's error code, when it has the shape of one (it comes through the browser: anything may).
          const said = /^[a-z0-9_.-]{1,64}$/i.test(params.error) ? params.error : "an error";
          throw new ProviderError(REFUSALS.has(params.error) ? "access_denied" : "provider_error", `the provider answered ${said}`);
        }
        const answer = await provider.completeSignIn({ params, codeVerifier: data.codeVerifier, nonce: data.nonce, redirectUri: callbackUrl });
        const named = { provider: provider.name, ...answer };
        if (data.linkUserId !== null) {
          await providerSignIn.link(data.linkUserId, named, client);
          return { kind: "linked", redirectTo: data.redirectTo };
        }
        const outcome = await providerSignIn.signIn(named, client);
        observations.passwordlessSignIn("provider", outcome.kind === "second-factor" ? "second_factor" : "success");
        if (outcome.kind === "second-factor") return { kind: "second-factor", ticket: outcome.ticket, redirectTo: data.redirectTo };
        return { kind: "signed-in", session: outcome.session, redirectTo: data.redirectTo };
      } catch (error) {
        return failed(provider.name, error, client);
      }
    },
  };
}
