// "windowslive": HBP's Windows Live, on today's Microsoft identity platform (Microsoft Entra ID, v2.0 endpoints):
// OpenID Connect with PKCE and a nonce, scopes `openid profile email`, tenant `common` (work, school and personal
// accounts) unless WINDOWSLIVE_TENANT names another. Who signed in is read from the ID token. Microsoft's `email`
// claim is whatever the tenant's administrator or the person typed, unchecked (Microsoft says not to trust it), so it
// never counts as verified.
import { MicrosoftEntraId } from "arctic";
import type { WindowsLiveSettings } from "../../../config-builtin-providers.ts";
import type { Clock } from "../../../lib/clock.ts";
import type { IdentityProvider } from "../provider.ts";
import { checkedIdTokenClaims } from "./id-token.ts";
import { callbackCode, exchangeCode, providerTokens } from "./provider-calls.ts";
import { emailOf, subjectOf, textOf } from "./profile-fields.ts";

const SCOPES = ["openid", "profile", "email"];
/** The tenant every personal Microsoft account signs in through. */
const PERSONAL_ACCOUNTS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createWindowsLiveProvider(settings: WindowsLiveSettings, deps: { clock: Clock }): IdentityProvider {
  const client = (redirectUri: string) => new MicrosoftEntraId(settings.tenant, settings.clientId, settings.clientSecret, redirectUri);
  return {
    name: "windowslive",
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
        isIssuer: (issuer, all) => isIssuerFor(settings.tenant, issuer, all.tid),
        clientId: settings.clientId,
        nonce: input.nonce,
        clock: deps.clock,
      });
      // preferred_username is the sign-in name, usually the address, when no `email` claim came.
      const email = emailOf(claims.email) ?? emailOf(claims.preferred_username);
      return {
        profile: { subject: subjectOf(claims.sub), email, emailVerified: false, displayName: textOf(claims.name), avatarUrl: null },
        tokens: providerTokens(tokens),
      };
    },
  };
}

/**
 * A multi-tenant endpoint (`common` ...) issues tokens whose issuer names the signing-in user's own tenant: the
 * issuer must be that tenant's (`tid`), and the tenant one the setting allows.
 */
function isIssuerFor(tenant: string, issuer: string, tid: unknown): boolean {
  if (typeof tid !== "string" || !TENANT_ID.test(tid)) return false;
  if (issuer !== `https://login.microsoftonline.com/${tid}/v2.0`) return false;
  const setting = tenant.toLowerCase();
  if (setting === "consumers") return tid === PERSONAL_ACCOUNTS_TENANT;
  if (setting === "organizations") return tid !== PERSONAL_ACCOUNTS_TENANT;
  if (TENANT_ID.test(setting)) return tid.toLowerCase() === setting;
  // `common`, or a tenant named by its domain (whose id is not known without a lookup): the endpoint only issued it.
  return true;
}
