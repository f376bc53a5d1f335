// The ID tokens the built-in providers hand back from their token endpoint (Google, Apple, LinkedIn, Microsoft).
// They come straight from the provider over TLS in answer to our authenticated code exchange, so OpenID Connect Core
// §3.1.3.7 lets the client skip the signature: it is decoded with arctic's decodeIdToken. What is checked is what
// tells a token meant for someone else or from somewhere else: the issuer, the audience (and `azp` when there are
// several), the expiry, and the nonce we sent (a token replayed from another flow carries another nonce).
import { decodeIdToken, type OAuth2Tokens } from "arctic";
import type { Clock } from "../../../lib/clock.ts";
import { ProviderError } from "../provider.ts";

export interface IdTokenExpectations {
  /** Whether `iss` is this provider's (a provider with tenants checks it against the token's own tenant claim). */
  isIssuer(issuer: string, claims: Readonly<Record<string, unknown>>): boolean;
  clientId: string;
  /** The nonce sent in the authorization request; null for a provider that was sent none. */
  nonce: string | null;
  clock: Clock;
}

/** The claims of the answer's ID token, once they pass the checks above. */
export function checkedIdTokenClaims(tokens: OAuth2Tokens, expected: IdTokenExpectations): Record<string, unknown> {
  const idToken = (tokens.data as Record<string, unknown>).id_token;
  if (typeof idToken !== "string" || idToken === "") throw new ProviderError("provider_error", "the token endpoint answered without an id_token");
  let decoded: unknown;
  try {
    decoded = decodeIdToken(idToken);
  } catch {
    throw new ProviderError("invalid_id_token", "the id_token is not a JWT");
  }
  if (typeof decoded !== "object" || decoded === null || Array.isArray(decoded)) throw new ProviderError("invalid_id_token", "the id_token has no claims");
  const claims = decoded as Record<string, unknown>;
  const refuse = (why: string): never => {
    throw new ProviderError("invalid_id_token", why);
  };
  if (typeof claims.iss !== "string" || !expected.isIssuer(claims.iss, claims)) refuse("the id_token's issuer is not the provider's");
  const audiences = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (!audiences.includes(expected.clientId)) refuse("the id_token is not for this client (aud)");
  if (audiences.length > 1 && claims.azp !== expected.clientId) refuse("the id_token was issued to another party (azp)");
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= expected.clock.now()) refuse("the id_token has expired");
  if (expected.nonce !== null && claims.nonce !== expected.nonce) refuse("the id_token's nonce is not this flow's");
  return claims;
}
