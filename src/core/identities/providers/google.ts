// Google: OpenID Connect with PKCE and a nonce; who signed in is read from the ID token of the code exchange (scopes
// `openid email profile`: HBP's `email profile`, and `openid` for the ID token). Google's `email_verified` says
// whether the address counts as verified.
import { Google } from "arctic";
import type { OAuthClientSettings } from "../../../config-builtin-providers.ts";
import type { Clock } from "../../../lib/clock.ts";
import type { IdentityProvider } from "../provider.ts";
import { checkedIdTokenClaims } from "./id-token.ts";
import { callbackCode, exchangeCode, providerTokens } from "./provider-calls.ts";
import { emailOf, httpUrlOf, isTrue, subjectOf, textOf } from "./profile-fields.ts";

const SCOPES = ["openid", "email", "profile"];
/** Google's ID tokens carry either spelling of its issuer (its OpenID Connect documentation). */
const GOOGLE_ISSUERS = new Set(["https://accounts.google.com", "accounts.google.com"]);

export function createGoogleProvider(settings: OAuthClientSettings, deps: { clock: Clock }): IdentityProvider {
  const client = (redirectUri: string) => new Google(settings.clientId, settings.clientSecret, redirectUri);
  return {
    name: "google",
    responseMode: "query",
    async authorizationUrl(request) {
      const url = client(request.redirectUri).createAuthorizationURL(request.state, request.codeVerifier, SCOPES);
      url.searchParams.set("nonce", request.nonce);
      return url;
    },
    async completeSignIn(input) {
      const code = callbackCode(input.params);
      const tokens = await exchangeCode(() => client(input.redirectUri).validateAuthorizationCode(code, input.codeVerifier));
      const claims = checkedIdTokenClaims(tokens, {
        isIssuer: (issuer) => GOOGLE_ISSUERS.has(issuer),
        clientId: settings.clientId,
        nonce: input.nonce,
        clock: deps.clock,
      });
      return {
        profile: {
          subject: subjectOf(claims.sub),
          email: emailOf(claims.email),
          emailVerified: isTrue(claims.email_verified),
          displayName: textOf(claims.name),
          avatarUrl: httpUrlOf(claims.picture),
        },
        tokens: providerTokens(tokens),
      };
    },
  };
}
