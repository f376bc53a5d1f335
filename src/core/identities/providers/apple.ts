// Sign in with Apple: scopes `name email` (HBP's), answered as a POST form (response_mode=form_post, which Apple
// requires when those scopes are asked for), a nonce, and a client secret that is a short-lived JWT signed with the
// team's .p8 key (arctic makes it at each exchange). Who signed in is read from the ID token, whose `email_verified`
// says whether the address counts as verified. Apple sends the person's name only once, on the first sign-in, in the
// form's `user` field; that field comes through the browser unsigned, so only the display name is taken from it.
import { Apple } from "arctic";
import type { AppleSettings } from "../../../config-builtin-providers.ts";
import type { Clock } from "../../../lib/clock.ts";
import type { IdentityProvider } from "../provider.ts";
import { checkedIdTokenClaims } from "./id-token.ts";
import { callbackCode, exchangeCode, objectField, providerTokens } from "./provider-calls.ts";
import { emailOf, isTrue, subjectOf, textOf } from "./profile-fields.ts";

const SCOPES = ["name", "email"];
const APPLE_ISSUER = "https://appleid.apple.com";

export function createAppleProvider(settings: AppleSettings, deps: { clock: Clock }): IdentityProvider {
  const pkcs8 = pkcs8OfPem(settings.privateKey);
  const client = (redirectUri: string) => new Apple(settings.clientId, settings.teamId, settings.keyId, pkcs8, redirectUri);
  return {
    name: "apple",
    responseMode: "form_post",
    async authorizationUrl(request) {
      const url = client(request.redirectUri).createAuthorizationURL(request.state, SCOPES);
      url.searchParams.set("response_mode", "form_post");
      url.searchParams.set("nonce", request.nonce);
      return url;
    },
    async completeSignIn(input) {
      const code = callbackCode(input.params);
      const tokens = await exchangeCode(() => client(input.redirectUri).validateAuthorizationCode(code));
      const claims = checkedIdTokenClaims(tokens, {
        isIssuer: (issuer) => issuer === APPLE_ISSUER,
        clientId: settings.clientId,
        nonce: input.nonce,
        clock: deps.clock,
      });
      const email = emailOf(claims.email);
      return {
        profile: {
          subject: subjectOf(claims.sub),
          email,
          emailVerified: isTrue(claims.email_verified),
          // HBP's: "<first> <last>" when Apple sent a name, else the address.
          displayName: nameOf(input.params.user) ?? email,
          avatarUrl: null,
        },
        tokens: providerTokens(tokens),
      };
    },
  };
}

/** `user` = {"name":{"firstName":..,"lastName":..},"email":..}, sent on the first sign-in only; null when absent or unreadable. */
function nameOf(user: string | undefined): string | null {
  if (user === undefined || user.length > 4096) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(user);
  } catch {
    return null;
  }
  const name = objectField(parsed, "name");
  const parts = [textOf(name.firstName, 100), textOf(name.lastName, 100)].filter((part) => part !== null);
  return parts.length > 0 ? parts.join(" ") : null;
}

/** The DER bytes of a PKCS#8 PEM (config-builtin-providers.ts has checked it is an EC P-256 key). */
function pkcs8OfPem(pem: string): Uint8Array {
  const base64 = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(base64, "base64"));
}
