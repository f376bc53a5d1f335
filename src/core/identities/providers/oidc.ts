// Any OpenID Connect provider (Authentik, Keycloak, Authelia, Pocket ID, Zitadel ...), on openid-client (built on
// oauth4webapi, both certified implementations): discovery from the issuer, the authorization code flow with PKCE
// (S256), `state` and `nonce`, the ID token checked, the profile from the ID token and the userinfo endpoint.
//
// The ID token: openid-client checks its claims (issuer, audience and authorized party, expiry and issue time with
// 30 s of tolerance, nonce); its signature is checked here against the provider's JWKS (jose), because openid-client
// would look for a new key at most once a minute and a provider that just rotated its keys would fail every
// sign-in until then. Here a token whose `kid` is not in the JWKS held makes it fetch the JWKS again at once (no
// cooldown): ID tokens come only from the provider's own token endpoint, over TLS, so nobody else can make latchkey
// fetch it.
//
// Discovery happens at the first sign-in, not at start-up (a provider that is down must not stop latchkey), and is
// tried again at the next sign-in after a failure. Issuers are https; plain http only on a loopback address
// (src/config-providers.ts), and only then is openid-client told to allow it.
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as client from "openid-client";
import { isLoopbackUrl, type OidcProviderSettings } from "../../../config-providers.ts";
import type { DeepReadonly } from "../../../lib/frozen.ts";
import { ProviderError, type IdentityProvider, type ProviderProfile } from "../provider.ts";

/** Seconds a request to the provider may take (discovery, token, userinfo, JWKS). */
const TIMEOUT_SECONDS = 10;
/** Seconds of clock difference tolerated between latchkey and the provider (openid-client's default too). */
const CLOCK_TOLERANCE_SECONDS = 30;
/** ID token signatures accepted: asymmetric ones only (`none` and HMAC with the client secret are refused). */
const ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];
/** openid-client's codes for an ID token whose claims are wrong (nonce, audience, issuer) or out of date (expiry). */
const ID_TOKEN_FAILURES = new Set(["OAUTH_JWT_CLAIM_COMPARISON_FAILED", "OAUTH_JWT_TIMESTAMP_CHECK_FAILED"]);

interface Discovered {
  config: client.Configuration;
  keys: ReturnType<typeof createRemoteJWKSet>;
}

export function createOidcProvider(settings: DeepReadonly<OidcProviderSettings>): IdentityProvider {
  const { name, issuer, clientId, clientSecret, scopes } = settings;
  const plainHttp = new URL(issuer).protocol === "http:" && isLoopbackUrl(new URL(issuer));
  let discovered: Promise<Discovered> | null = null;

  async function discover(): Promise<Discovered> {
    const found = await client.discovery(new URL(issuer), clientId, clientSecret, undefined, {
      execute: plainHttp ? [client.allowInsecureRequests] : [],
      timeout: TIMEOUT_SECONDS,
    });
    const metadata = found.serverMetadata();
    // RFC 8414's default is client_secret_basic, and a provider may refuse the other (openid-client's default).
    const methods = metadata.token_endpoint_auth_methods_supported;
    const usePost = methods !== undefined && !methods.includes("client_secret_basic") && methods.includes("client_secret_post");
    const config = new client.Configuration(metadata, clientId, clientSecret, usePost ? client.ClientSecretPost(clientSecret) : client.ClientSecretBasic(clientSecret));
    config.timeout = TIMEOUT_SECONDS;
    if (plainHttp) client.allowInsecureRequests(config);
    if (!metadata.jwks_uri) throw new ProviderError("provider_error", `${name}: the discovery document has no jwks_uri`);
    const jwksUri = new URL(metadata.jwks_uri);
    if (jwksUri.protocol !== "https:" && !(plainHttp && isLoopbackUrl(jwksUri))) {
      throw new ProviderError("provider_error", `${name}: jwks_uri is not https`);
    }
    const keys = createRemoteJWKSet(jwksUri, { timeoutDuration: TIMEOUT_SECONDS * 1000, cooldownDuration: 0 });
    return { config, keys };
  }

  /** The discovered configuration; a failed discovery is forgotten, so the next sign-in tries again. */
  function discovery(): Promise<Discovered> {
    discovered ??= discover().catch((error: unknown) => {
      discovered = null;
      throw providerError(error, "discovery");
    });
    return discovered;
  }

  return {
    name,
    responseMode: "query",

    async authorizationUrl(request) {
      const { config } = await discovery();
      return client.buildAuthorizationUrl(config, {
        redirect_uri: request.redirectUri,
        scope: scopes.join(" "),
        state: request.state,
        nonce: request.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(request.codeVerifier),
        code_challenge_method: "S256",
      });
    },

    async completeSignIn(input) {
      const { config, keys } = await discovery();
      const callbackUrl = new URL(input.redirectUri);
      for (const [key, value] of Object.entries(input.params)) callbackUrl.searchParams.set(key, value);
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: input.codeVerifier,
          expectedNonce: input.nonce,
          // core/identities/provider-flow.ts matched the state (single-use, bound to the browser) before this.
          expectedState: input.params.state ?? client.skipStateCheck,
          idTokenExpected: true,
        });
      } catch (error) {
        throw providerError(error, "token");
      }
      const claims = tokens.claims();
      if (!tokens.id_token || !claims) throw new ProviderError("invalid_id_token", `${name}: no ID token`);
      try {
        await jwtVerify(tokens.id_token, keys, {
          issuer: config.serverMetadata().issuer,
          audience: clientId,
          algorithms: ID_TOKEN_ALGORITHMS,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        });
      } catch (error) {
        throw new ProviderError("invalid_id_token", `${name}: ID token signature: ${describe(error)}`);
      }
      let userinfo: Record<string, unknown> = {};
      if (config.serverMetadata().userinfo_endpoint) {
        try {
          userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        } catch (error) {
          throw providerError(error, "userinfo");
        }
      }
      return {
        profile: profileOf(claims, userinfo),
        tokens: { accessToken: tokens.access_token, refreshToken: tokens.refresh_token ?? null },
      };
    },
  };
}

/** Who signed in: the subject from the ID token; the address and whether it is verified from one source, never mixed. */
export function profileOf(claims: Record<string, unknown>, userinfo: Record<string, unknown>): ProviderProfile {
  const subject = typeof claims.sub === "string" ? claims.sub : "";
  if (subject === "" || subject.length > 255) throw new ProviderError("profile_incomplete", "no usable subject");
  // An address from userinfo with the verification of the ID token's address would be a verified address nobody checked.
  const source = typeof userinfo.email === "string" ? userinfo : claims;
  const email = typeof source.email === "string" ? source.email.trim().toLowerCase() : "";
  const usable = email.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(email);
  const text = (...values: unknown[]) => values.find((value): value is string => typeof value === "string" && value.trim() !== "")?.trim() ?? null;
  const given = text(userinfo.given_name, claims.given_name);
  const family = text(userinfo.family_name, claims.family_name);
  const displayName = text(userinfo.name, claims.name, userinfo.preferred_username, claims.preferred_username, [given, family].filter(Boolean).join(" "));
  const picture = text(userinfo.picture, claims.picture);
  return {
    subject,
    email: usable ? email : null,
    // Some providers (AWS Cognito) send the string "true".
    emailVerified: usable && (source.email_verified === true || source.email_verified === "true"),
    displayName: displayName?.slice(0, 255) ?? null,
    avatarUrl: picture !== null && picture.length <= 2048 && /^https?:\/\//i.test(picture) ? picture : null,
  };
}

/** What went wrong, for the log: the library's error name, code and message (none of them holds a token). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === "string" ? ` ${code}` : ""}: ${error.message}`;
}

function providerError(error: unknown, step: string): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof client.AuthorizationResponseError) {
    return new ProviderError(error.error === "access_denied" ? "access_denied" : "provider_error", `${step}: ${error.error}`);
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && ID_TOKEN_FAILURES.has(code)) return new ProviderError("invalid_id_token", `${step}: ${describe(error)}`);
  return new ProviderError("provider_error", `${step}: ${describe(error)}`);
}
