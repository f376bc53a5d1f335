// Facebook: scopes `email public_profile`; who signed in is read from the Graph API's /me. Facebook says nothing
// about whether the address was confirmed (an account made with a phone number can carry one it never checked), so
// it never counts as verified: a Facebook sign-in is linked to an existing account only by the person doing it.
import { createHmac } from "node:crypto";
import { Facebook } from "arctic";
import type { OAuthClientSettings } from "../../../config-builtin-providers.ts";
import type { IdentityProvider } from "../provider.ts";
import { callbackCode, exchangeCode, fetchProviderJson, objectField, providerTokens } from "./provider-calls.ts";
import { emailOf, httpUrlOf, subjectOf, textOf } from "./profile-fields.ts";

const SCOPES = ["email", "public_profile"];
/** The fields HBP asked for (email, photos, displayName), in the Graph API's words. */
const ME_URL = "https://graph.facebook.com/me?fields=id,name,email,picture.type(large)";

export function createFacebookProvider(settings: OAuthClientSettings): IdentityProvider {
  const client = (redirectUri: string) => new Facebook(settings.clientId, settings.clientSecret, redirectUri);
  return {
    name: "facebook",
    responseMode: "query",
    async authorizationUrl(request) {
      return client(request.redirectUri).createAuthorizationURL(request.state, SCOPES);
    },
    async completeSignIn(input) {
      const code = callbackCode(input.params);
      const tokens = await exchangeCode(() => client(input.redirectUri).validateAuthorizationCode(code));
      const accessToken = tokens.accessToken();
      // appsecret_proof: apps that turn on "Require App Secret" refuse Graph calls without it; others accept it.
      const proof = createHmac("sha256", settings.clientSecret).update(accessToken).digest("hex");
      const me = (await fetchProviderJson(`${ME_URL}&appsecret_proof=${proof}`, accessToken)) as Record<string, unknown>;
      return {
        profile: {
          subject: subjectOf(me.id),
          email: emailOf(me.email),
          emailVerified: false,
          displayName: textOf(me.name),
          avatarUrl: httpUrlOf(objectField(objectField(me, "picture"), "data").url),
        },
        tokens: providerTokens(tokens),
      };
    },
  };
}
