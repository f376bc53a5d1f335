// Spotify: OAuth 2.0 with PKCE, scopes `user-read-email user-read-private` (HBP's); who signed in is read from /v1/me.
// Spotify does not check the address a person gives it, so it never counts as verified.
import { Spotify } from "arctic";
import type { OAuthClientSettings } from "../../../config-builtin-providers.ts";
import type { IdentityProvider } from "../provider.ts";
import { callbackCode, exchangeCode, fetchProviderJson, providerTokens } from "./provider-calls.ts";
import { emailOf, httpUrlOf, subjectOf, textOf } from "./profile-fields.ts";

const SCOPES = ["user-read-email", "user-read-private"];
const ME_URL = "https://api.spotify.com/v1/me";

export function createSpotifyProvider(settings: OAuthClientSettings): IdentityProvider {
  const client = (redirectUri: string) => new Spotify(settings.clientId, settings.clientSecret, redirectUri);
  return {
    name: "spotify",
    responseMode: "query",
    async authorizationUrl(request) {
      return client(request.redirectUri).createAuthorizationURL(request.state, request.codeVerifier, SCOPES);
    },
    async completeSignIn(input) {
      const code = callbackCode(input.params);
      const tokens = await exchangeCode(() => client(input.redirectUri).validateAuthorizationCode(code, input.codeVerifier));
      const me = (await fetchProviderJson(ME_URL, tokens.accessToken())) as Record<string, unknown>;
      const images = Array.isArray(me.images) ? (me.images as unknown[]) : [];
      const firstImage = images[0] as Record<string, unknown> | undefined;
      return {
        profile: {
          subject: subjectOf(me.id),
          email: emailOf(me.email),
          emailVerified: false,
          displayName: textOf(me.display_name),
          avatarUrl: httpUrlOf(typeof firstImage === "object" && firstImage !== null ? firstImage.url : null),
        },
        tokens: providerTokens(tokens),
      };
    },
  };
}
