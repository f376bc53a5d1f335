// X (Twitter): OAuth 2.0 with PKCE, scopes `users.read tweet.read` (the users API needs both). X's OAuth 2.0 gives no
// email address at all, so a Twitter profile has none: it is never joined to an account by address, and a new account
// cannot be made from it (profile_incomplete); a signed-in user links it (`?link=true`) and signs in with it after.
import { Twitter } from "arctic";
import type { OAuthClientSettings } from "../../../config-builtin-providers.ts";
import type { IdentityProvider } from "../provider.ts";
import { callbackCode, exchangeCode, fetchProviderJson, objectField, providerTokens } from "./provider-calls.ts";
import { httpUrlOf, subjectOf, textOf } from "./profile-fields.ts";

const SCOPES = ["users.read", "tweet.read"];
const ME_URL = "https://api.twitter.com/2/users/me?user.fields=profile_image_url";

export function createTwitterProvider(settings: OAuthClientSettings): IdentityProvider {
  const client = (redirectUri: string) => new Twitter(settings.clientId, settings.clientSecret, redirectUri);
  return {
    name: "twitter",
    responseMode: "query",
    async authorizationUrl(request) {
      return client(request.redirectUri).createAuthorizationURL(request.state, request.codeVerifier, SCOPES);
    },
    async completeSignIn(input) {
      const code = callbackCode(input.params);
      const tokens = await exchangeCode(() => client(input.redirectUri).validateAuthorizationCode(code, input.codeVerifier));
      const me = objectField(await fetchProviderJson(ME_URL, tokens.accessToken()), "data");
      return {
        profile: {
          subject: subjectOf(me.id),
          email: null,
          emailVerified: false,
          displayName: textOf(me.name) ?? textOf(me.username),
          avatarUrl: httpUrlOf(me.profile_image_url),
        },
        tokens: providerTokens(tokens),
      };
    },
  };
}
