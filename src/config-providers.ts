// Sign-in through other providers (README "Sign in with OIDC and OAuth providers"): where the browser lands after
// the flow, which `redirect_to` targets are honoured, how identities meet existing accounts, and the providers
// themselves. Generic OpenID Connect providers are named in OIDC_PROVIDERS, each with its OIDC_<NAME>_* settings;
// the built-in providers (GitHub, Google ...) add their <P>_* settings here too, and their names are reserved.
import { BUILTIN_PROVIDERS, isLoopbackUrl, readBuiltinProviders, type BuiltinProviderSettings } from "./config-builtin-providers.ts";

export { isLoopbackUrl };
import type { Reader } from "./config-reader.ts";

/** The built-in providers' names, as in their routes (`/auth/providers/github`): no OIDC provider may take one. */
export const BUILT_IN_PROVIDER_NAMES = BUILTIN_PROVIDERS;

/** A provider's name in routes and settings: lower-case letters, digits and dashes. */
const PROVIDER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const DEFAULT_OIDC_SCOPES = ["openid", "email", "profile"];

export interface OidcProviderSettings {
  /** As in its route, `/auth/providers/<name>`. */
  name: string;
  /** OIDC_<NAME>_ISSUER: the issuer identifier, exactly as its discovery document names it. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** OIDC_<NAME>_SCOPES: asked for at the provider; always with `openid`. */
  scopes: string[];
}

export interface ProviderSettings {
  /** PROVIDER_SUCCESS_REDIRECT (default REDIRECT_URL_SUCCESS): where a finished sign-in lands, with `?refresh_token=`. */
  successRedirect: string | null;
  /** PROVIDER_FAILURE_REDIRECT (default REDIRECT_URL_ERROR, then the success URL): where a failed one lands, with `?error=`. */
  failureRedirect: string | null;
  /**
   * REDIRECT_URL_ALLOWLIST: the URLs a `redirect_to` may point to, each matching by origin and path prefix. Default:
   * the success URL's origin.
   */
  redirectAllowlist: string[];
  /** PROVIDER_LINK_BY_EMAIL: an identity whose address the provider verified joins the account with that address. */
  linkByEmail: boolean;
  /** PROVIDER_KEEP_TOKENS: keep the provider's access and refresh tokens, encrypted (lib/token-cipher.ts). */
  keepTokens: boolean;
  /** OIDC_PROVIDERS, by name. */
  oidc: Record<string, OidcProviderSettings>;
  /** GitHub, Google ...: each one's <P>_* settings, null when it is off (src/config-builtin-providers.ts). */
  builtin: BuiltinProviderSettings;
}

/** The part of OIDC_<NAME>_* that names the provider: upper case, `-` as `_`. */
export function oidcVariablePrefix(name: string): string {
  return `OIDC_${name.toUpperCase().replace(/-/g, "_")}_`;
}

export function readProviderSettings(read: Reader, redirects: { success: string | null; error: string | null }): ProviderSettings {
  const successRedirect = read.url("PROVIDER_SUCCESS_REDIRECT") ?? redirects.success;
  const failureRedirect = read.url("PROVIDER_FAILURE_REDIRECT") ?? redirects.error ?? successRedirect;
  const settings: ProviderSettings = {
    successRedirect,
    failureRedirect,
    redirectAllowlist: readAllowlist(read, successRedirect),
    linkByEmail: read.bool("PROVIDER_LINK_BY_EMAIL", true),
    keepTokens: read.bool("PROVIDER_KEEP_TOKENS", false),
    oidc: readOidcProviders(read),
    builtin: readBuiltinProviders(read),
  };
  if (Object.keys(settings.oidc).length > 0) {
    read.require(
      successRedirect !== null,
      "PROVIDER_SUCCESS_REDIRECT: required when OIDC_PROVIDERS is set (or REDIRECT_URL_SUCCESS): a provider sign-in ends there",
    );
  }
  const builtinOn = BUILTIN_PROVIDERS.filter((name) => settings.builtin[name] !== null);
  if (builtinOn.length > 0) {
    read.require(
      successRedirect !== null,
      `PROVIDER_SUCCESS_REDIRECT: required when ${builtinOn[0]!.toUpperCase()}_ENABLED is set (or REDIRECT_URL_SUCCESS): a provider sign-in ends there`,
    );
  }
  return settings;
}

function readAllowlist(read: Reader, successRedirect: string | null): string[] {
  const listed = read.list("REDIRECT_URL_ALLOWLIST", []);
  for (const entry of listed) {
    read.require(URL.canParse(entry) && /^https?:$/.test(new URL(entry).protocol), `REDIRECT_URL_ALLOWLIST: "${entry}" is not an http(s) URL`);
  }
  if (listed.length > 0) return listed;
  return successRedirect === null ? [] : [`${new URL(successRedirect).origin}/`];
}

function readOidcProviders(read: Reader): Record<string, OidcProviderSettings> {
  const providers: Record<string, OidcProviderSettings> = {};
  for (const name of read.list("OIDC_PROVIDERS", [])) {
    if (!PROVIDER_NAME.test(name)) {
      read.require(false, `OIDC_PROVIDERS: "${name}" is not a provider name (lower-case letters, digits and dashes, at most 32)`);
      continue;
    }
    if ((BUILT_IN_PROVIDER_NAMES as readonly string[]).includes(name)) {
      read.require(false, `OIDC_PROVIDERS: "${name}" is a built-in provider's name; give the OIDC provider another`);
      continue;
    }
    if (providers[name]) {
      read.require(false, `OIDC_PROVIDERS: "${name}" is named twice`);
      continue;
    }
    const prefix = oidcVariablePrefix(name);
    const issuer = read.url(`${prefix}ISSUER`);
    const clientId = read.optionalString(`${prefix}CLIENT_ID`);
    const clientSecret = read.optionalString(`${prefix}CLIENT_SECRET`);
    const scopes = read.list(`${prefix}SCOPES`, DEFAULT_OIDC_SCOPES).flatMap((scope) => scope.split(/\s+/)).filter(Boolean);
    const missing = read.raw([`${prefix}ISSUER`]) === null;
    read.require(!missing, `${prefix}ISSUER: required for OIDC provider "${name}" (its issuer URL, e.g. https://auth.example.com/realms/main)`);
    read.require(clientId !== null, `${prefix}CLIENT_ID: required for OIDC provider "${name}"`);
    read.require(clientSecret !== null, `${prefix}CLIENT_SECRET: required for OIDC provider "${name}"`);
    read.require(scopes.includes("openid"), `${prefix}SCOPES: must include openid`);
    if (issuer !== null) {
      const url = new URL(issuer);
      read.require(
        url.protocol === "https:" || isLoopbackUrl(url),
        `${prefix}ISSUER: must be an https URL (plain http only on a loopback address: 127.0.0.1, ::1, localhost), got "${issuer}"`,
      );
      read.require(url.search === "" && url.hash === "", `${prefix}ISSUER: an issuer has no query or fragment, got "${issuer}"`);
    }
    if (issuer === null || clientId === null || clientSecret === null) continue;
    providers[name] = { name, issuer, clientId, clientSecret, scopes: [...new Set(scopes)] };
  }
  return providers;
}
