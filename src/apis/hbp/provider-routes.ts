// HBP's provider sign-in routes, a slice of the auth table (routes.ts): to the provider and back, and the providers
// linked to an account. Handlers: providers.ts. A form_post provider's callback (Apple) is routes.ts's
// hbpProviderFormRoutes, with the same answers.
import { json, noContent, redirect } from "../route-docs.ts";
import { anyOf } from "../security.ts";
import type { HbpContext } from "./context.ts";
import { hbpAuthDoc as doc } from "./docs.ts";
import type { HbpAuthApp } from "./routes.ts";
import { HBP_CREDENTIALS } from "./guards.ts";
import {
  finishProviderSignIn,
  linkedProviders,
  linkedProvidersSchema,
  providerAnswerFields,
  providerParams,
  providerStartQuery,
  startProviderSignIn,
  unlinkProvider,
} from "./providers.ts";
import { NOT_SIGNED_IN } from "./route-answers.ts";

const PROVIDER_DISABLED = 'No such provider is enabled (the message says which setting enables it: OIDC_PROVIDERS, or a built-in provider\'s <P>_ENABLED).';
/** What a provider's callback answers, read from the query or (hbpProviderFormRoutes) from a form. */
export const providerCallbackAnswers = {
  302: redirect(
    "To the success URL (PROVIDER_SUCCESS_REDIRECT, or the start's redirect_to) with ?refresh_token= and HBP's cookies; with ?mfa_ticket= for a user with TOTP (finish with POST /auth/mfa/totp); with ?provider_linked=<provider> after a link; or to PROVIDER_FAILURE_REDIRECT with ?error=<code>&error_description=.",
  ),
  404: PROVIDER_DISABLED,
};

/** /providers/:provider, /providers/:provider/callback, /user/providers, /user/providers/:provider. */
export function providerRoutes(ctx: HbpContext) {
  return (app: HbpAuthApp) =>
    app
      .get(
        "/providers/:provider",
        async ({ exchange, params, query, redirect: redirectTo }) => redirectTo(await startProviderSignIn(ctx, exchange, params.provider, query), 302),
        {
          params: providerParams,
          query: providerStartQuery,
          detail: doc.get(
            "Sign in with a provider (GitHub, Google, an OIDC provider): to the provider",
            {
              302: redirect("To the provider's sign-in page (the state bound to this browser by a short-lived cookie); or to PROVIDER_FAILURE_REDIRECT with ?error= when the provider cannot be reached."),
              400: '"redirect_to" is not on REDIRECT_URL_ALLOWLIST.',
              401: "link=true without a signed-in caller (the cookies or a Bearer access token).",
              404: PROVIDER_DISABLED,
            },
            // Read only with link=true: the account the provider is linked to.
            { security: anyOf([], ...HBP_CREDENTIALS) },
          ),
        },
      )
      .get(
        "/providers/:provider/callback",
        async ({ exchange, params, query, redirect: redirectTo }) => redirectTo(await finishProviderSignIn(ctx, exchange, params.provider, query), 302),
        {
          params: providerParams,
          query: providerAnswerFields,
          detail: doc.get("Where the provider sends the browser back (register this URL at the provider)", providerCallbackAnswers),
        },
      )
      .get("/user/providers", ({ caller }) => linkedProviders(ctx, caller.user), {
        signedIn: true,
        detail: doc.get("The providers linked to the signed-in account", { 200: json(linkedProvidersSchema, "Its identities, oldest first."), 401: NOT_SIGNED_IN }),
      })
      .delete("/user/providers/:provider", ({ exchange, caller, params }) => unlinkProvider(ctx, exchange, caller.user, params.provider), {
        signedIn: true,
        params: providerParams,
        detail: doc("Unlink a provider from the signed-in account", {
          204: noContent("Unlinked: the provider account no longer signs in to this one."),
          401: NOT_SIGNED_IN,
          404: "The account is not linked to this provider.",
          409: "It is the account's last way to sign in (no password, no other provider or passkey): set a password first.",
        }),
      });
}
