// LinkedIn: "Sign In with LinkedIn using OpenID Connect", scopes `openid profile email` (HBP's r_liteprofile and
// r_emailaddress are gone from LinkedIn). The ID token of the code exchange says who signed in; the profile (name,
// picture, address and whether LinkedIn verified it) comes from the userinfo endpoint for the same subject. LinkedIn
// takes no PKCE from a web client and documents no nonce, so neither is sent.
import { LinkedIn } from "arctic";
import type { OAuthClientSettings } from "../../../config-builtin-providers.ts";
import type { Clock } from "../../../lib/clock.ts";
import { ProviderError, type IdentityProvider } from "../provider.ts";
import { checkedIdTokenClaims } from "./id-token.ts";
import { callbackCode, exchangeCode, fetchProviderJson, providerTokens } from "./provider-calls.ts";
import { emailOf, httpUrlOf, isTrue, subjectOf, textOf } from "./profile-fields.ts";

const SCOPES = ["openid", "profile", "email"];
const LINKEDIN_ISSUER = "https://www.linkedin.com/oauth";
const USERINFO_URL = "https://api.linkedin.com/v2/userinfo";

export function createLinkedInProvider(settings: OAuthClientSettings, deps: { clock: Clock }): IdentityProvider {
  const client = (redirectUri: string) => new LinkedIn(settings.clientId, settings.clientSecret, redirectUri);
  return {
    name: "linkedin",
    responseMode: "query",
    async authorizationUrl(request) {
      return client(request.redirectUri).createAuthorizationURL(request.state, SCOPES);
    },
    async completeSignIn(input) {
      const code = callbackCode(input.params);
      const tokens = await exchangeCode(() => client(input.redirectUri).validateAuthorizationCode(code));
      const claims = checkedIdTokenClaims(tokens, {
        isIssuer: (issuer) => issuer === LINKEDIN_ISSUER,
        clientId: settings.clientId,
        nonce: null,
        clock: deps.clock,
      });
      const subject = subjectOf(claims.sub);
      const info = (await fetchProviderJson(USERINFO_URL, tokens.accessToken())) as Record<string, unknown>;
      // OpenID Connect Core §5.3.2: userinfo for another subject than the ID token's must not be used.
      if (info.sub !== subject) throw new ProviderError("provider_error", "userinfo is about another subject than the id_token");
      return {
        profile: {
          subject,
          email: emailOf(info.email),
          emailVerified: isTrue(info.email_verified),
          displayName: textOf(info.name) ?? ([textOf(info.given_name), textOf(info.family_name)].filter(Boolean).join(" ") || null),
          avatarUrl: httpUrlOf(info.picture),
        },
        tokens: providerTokens(tokens),
      };
    },
  };
}
