// The built-in OAuth providers' settings (issue 26), under HBP's names (spec/hbp.md §3): `<P>_ENABLED` (or HBP's
// `<P>_ENABLE`), `<P>_CLIENT_ID` and `<P>_CLIENT_SECRET`; Apple signs its own client secret from APPLE_TEAM_ID,
// APPLE_KEY_ID and APPLE_PRIVATE_KEY; GitHub Enterprise moves GitHub's endpoints; WINDOWSLIVE_TENANT picks the
// Microsoft tenant. A provider turned on without what it needs stops start-up naming the variable: a sign-in button
// that fails for every user is found by the operator at start-up, not by a user at the callback.
import { createPrivateKey } from "node:crypto";
import { isIP } from "node:net";
import type { Reader } from "./config-reader.ts";

/** The providers HBP had, by the name in their routes (`/auth/providers/<name>`). */
export const BUILTIN_PROVIDERS = ["github", "google", "facebook", "apple", "twitter", "linkedin", "spotify", "windowslive"] as const;
export type BuiltinProviderName = (typeof BUILTIN_PROVIDERS)[number];

export interface OAuthClientSettings {
  clientId: string;
  clientSecret: string;
}

export interface GitHubSettings extends OAuthClientSettings {
  /** GitHub Enterprise: GITHUB_AUTHORIZATION_URL, GITHUB_TOKEN_URL, GITHUB_USER_PROFILE_URL; null: github.com's. */
  authorizationUrl: string | null;
  tokenUrl: string | null;
  /** The addresses are read at `<this URL>/emails`, as github.com has them at /user/emails. */
  userProfileUrl: string | null;
}

export interface AppleSettings {
  /** The Services ID the web sign-in is registered under. */
  clientId: string;
  teamId: string;
  keyId: string;
  /** The .p8 key (PKCS#8, P-256) as PEM; the client secret is a JWT signed with it at each sign-in. */
  privateKey: string;
}

export interface WindowsLiveSettings extends OAuthClientSettings {
  /** `common` (work, school and personal accounts), `consumers`, `organizations`, or one tenant's id or domain. */
  tenant: string;
}

/** Each built-in provider's settings; null: the provider is off (its routes answer as an unknown provider). */
export interface BuiltinProviderSettings {
  github: GitHubSettings | null;
  google: OAuthClientSettings | null;
  facebook: OAuthClientSettings | null;
  apple: AppleSettings | null;
  twitter: OAuthClientSettings | null;
  linkedin: OAuthClientSettings | null;
  spotify: OAuthClientSettings | null;
  windowslive: WindowsLiveSettings | null;
}

/** The prefixes of each provider's variables: the first is latchkey's, later ones are HBP's other spellings. */
const PREFIXES: Record<BuiltinProviderName, string[]> = {
  github: ["GITHUB"],
  google: ["GOOGLE"],
  facebook: ["FACEBOOK"],
  apple: ["APPLE"],
  twitter: ["TWITTER"],
  linkedin: ["LINKEDIN"],
  spotify: ["SPOTIFY"],
  // HBP read WINDOWS_LIVE_*; the route and latchkey's other names say windowslive.
  windowslive: ["WINDOWSLIVE", "WINDOWS_LIVE"],
};

/** Reads every built-in provider's settings; each problem names its variable (Reader collects them). */
export function readBuiltinProviders(read: Reader): BuiltinProviderSettings {
  return {
    github: readGitHub(read),
    google: readClient(read, "google"),
    facebook: readClient(read, "facebook"),
    apple: readApple(read),
    twitter: readTwitter(read),
    linkedin: readClient(read, "linkedin"),
    spotify: readClient(read, "spotify"),
    windowslive: readWindowsLive(read),
  };
}

/** The names `<PREFIX>_<suffix>` of a provider, latchkey's spelling first. */
function names(provider: BuiltinProviderName, suffix: string): string[] {
  return PREFIXES[provider].map((prefix) => `${prefix}_${suffix}`);
}

function enabled(read: Reader, provider: BuiltinProviderName): boolean {
  return read.bool(
    PREFIXES[provider].flatMap((prefix) => [`${prefix}_ENABLED`, `${prefix}_ENABLE`]),
    false,
  );
}

/**
 * A setting an enabled provider cannot do without. Read whether or not the provider is on, so `latchkey config check`
 * knows every name; missing only matters when it is on.
 */
function needed(read: Reader, provider: BuiltinProviderName, suffix: string, isOn: boolean, hint = ""): string {
  const [name] = names(provider, suffix);
  const value = read.optionalString(names(provider, suffix));
  if (isOn && value === null) read.require(false, `${name}: required when ${provider} sign-in is enabled${hint}`);
  return value ?? "";
}

function readClient(read: Reader, provider: BuiltinProviderName): OAuthClientSettings | null {
  const isOn = enabled(read, provider);
  const clientId = needed(read, provider, "CLIENT_ID", isOn);
  const clientSecret = needed(read, provider, "CLIENT_SECRET", isOn);
  return isOn ? { clientId, clientSecret } : null;
}

function readGitHub(read: Reader): GitHubSettings | null {
  const client = readClient(read, "github");
  const endpoint = (name: string) => providerEndpoint(read, name, client !== null);
  const authorizationUrl = endpoint("GITHUB_AUTHORIZATION_URL");
  const tokenUrl = endpoint("GITHUB_TOKEN_URL");
  const userProfileUrl = endpoint("GITHUB_USER_PROFILE_URL");
  return client && { ...client, authorizationUrl, tokenUrl, userProfileUrl };
}

// X's OAuth 2.0 client id and secret are not HBP's TWITTER_CONSUMER_KEY/SECRET (OAuth 1.0a's API key and secret, which
// the OAuth 2.0 endpoints refuse), so those are not taken in their place; a deployment that still sets them is told.
function readTwitter(read: Reader): OAuthClientSettings | null {
  const isOn = enabled(read, "twitter");
  const oldKey = read.optionalString(["TWITTER_CONSUMER_KEY", "TWITTER_CONSUMER_SECRET"]);
  const hint =
    oldKey !== null
      ? " (TWITTER_CONSUMER_KEY/SECRET were HBP's OAuth 1.0a keys; X's OAuth 2.0 client id and secret are different values, in the app's \"OAuth 2.0 Client ID and Client Secret\")"
      : "";
  const clientId = needed(read, "twitter", "CLIENT_ID", isOn, hint);
  const clientSecret = needed(read, "twitter", "CLIENT_SECRET", isOn, hint);
  return isOn ? { clientId, clientSecret } : null;
}

function readApple(read: Reader): AppleSettings | null {
  const isOn = enabled(read, "apple");
  const clientId = needed(read, "apple", "CLIENT_ID", isOn, " (the Services ID)");
  const teamId = needed(read, "apple", "TEAM_ID", isOn);
  const keyId = needed(read, "apple", "KEY_ID", isOn);
  const encodedKey = needed(read, "apple", "PRIVATE_KEY", isOn, " (the .p8 key file, base64-encoded)");
  if (!isOn) return null;
  return { clientId, teamId, keyId, privateKey: encodedKey === "" ? "" : applePrivateKey(read, encodedKey) };
}

function readWindowsLive(read: Reader): WindowsLiveSettings | null {
  const client = readClient(read, "windowslive");
  const tenant = read.string(names("windowslive", "TENANT"), "common");
  // A tenant is a path segment of login.microsoftonline.com: a GUID, a domain, or common/consumers/organizations.
  read.require(
    /^[A-Za-z0-9.-]{1,255}$/.test(tenant),
    `WINDOWSLIVE_TENANT: expected common, consumers, organizations, a tenant id or a domain, got "${tenant}"`,
  );
  return client && { ...client, tenant };
}

/**
 * APPLE_PRIVATE_KEY: the .p8 file Apple hands out, base64-encoded as HBP took it (so it fits on one line); the PEM
 * itself, with real or `\n` line breaks, is taken too. Checked here, so a wrong key stops start-up rather than every
 * Apple sign-in. Returns the PEM.
 */
function applePrivateKey(read: Reader, value: string): string {
  const pem = value.startsWith("-----BEGIN") ? value.replace(/\\n/g, "\n") : Buffer.from(value, "base64").toString("utf8");
  try {
    const key = createPrivateKey({ key: pem, format: "pem" });
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (key.asymmetricKeyType !== "ec" || (curve !== "prime256v1" && curve !== "P-256")) throw new Error("not a P-256 key");
    return key.export({ type: "pkcs8", format: "pem" }).toString();
  } catch {
    // The reason stays out of the message: it could quote part of the key.
    read.require(false, "APPLE_PRIVATE_KEY: expected the .p8 key file (an EC P-256 private key in PEM), base64-encoded");
    return "";
  }
}

/**
 * An endpoint latchkey sends a provider's client secret or users to: https, except on a loopback host (127.0.0.0/8,
 * ::1, localhost), where http is allowed for tests and servers on the same machine. Unset: null.
 */
function providerEndpoint(read: Reader, name: string, isOn: boolean): string | null {
  const found = read.raw([name]);
  if (found === null || !isOn) return null;
  if (!URL.canParse(found.value)) {
    read.require(false, `${name}: expected an https URL, got "${found.value}"`);
    return null;
  }
  const url = new URL(found.value);
  const allowed = url.protocol === "https:" || (url.protocol === "http:" && isLoopbackUrl(url));
  read.require(allowed, `${name}: expected an https URL (http only on a loopback address such as 127.0.0.1), got "${found.value}"`);
  return allowed ? found.value.replace(/\/+$/, "") : null;
}

/** Whether a URL's host is a loopback address (127.0.0.0/8, ::1) or localhost (and its subdomains, RFC 6761), where
 * plain http is accepted: GitHub's URL overrides here, OIDC issuers in config-providers.ts. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1" || host === "0:0:0:0:0:0:0:1";
}
