// Passkeys (WebAuthn, core/second-factors/passkeys.ts): who the relying party is and which pages may use it.
//   WEBAUTHN_ENABLED            the /auth passkey routes; off by default (they answer 404 saying so)
//   WEBAUTHN_RP_ID              the domain passkeys are bound to; default PUBLIC_URL's host
//   WEBAUTHN_RP_NAME            the name authenticators show; default "latchkey"
//   WEBAUTHN_RP_ORIGINS         comma list of the origins whose pages call the ceremonies; default PUBLIC_URL's origin
//   WEBAUTHN_USER_VERIFICATION  preferred | required | discouraged (a PIN or biometric on the authenticator)
// A browser makes a passkey only for an RP ID that is the page's host or a registrable suffix of it, and only in a
// secure context (https, or http://localhost), so those rules are checked here, at start-up, naming the variable:
// a deployment that breaks them would start and then refuse every ceremony.
import type { Reader } from "./config-reader.ts";

export const USER_VERIFICATION = ["preferred", "required", "discouraged"] as const;
export type UserVerification = (typeof USER_VERIFICATION)[number];

export interface WebauthnSettings {
  enabled: boolean;
  /** The RP ID: a domain, no scheme or port. */
  rpId: string;
  rpName: string;
  /**
   * The origins a ceremony's client data may name (`https://app.example.com`, no path). null: PUBLIC_URL's origin,
   * known only once latchkey listens (PORT=0 without PUBLIC_URL: src/public-url.ts).
   */
  origins: string[] | null;
  userVerification: UserVerification;
}

/** A DNS name: labels of letters, digits and inner hyphens, lower case (RP IDs are compared as written). */
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Browsers treat these hosts as secure over plain http. */
function isLocalhost(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost");
}

/** The origin `value` names, or a problem with it. */
function parseOrigin(value: string): { origin: string; hostname: string } | { problem: string } {
  if (!URL.canParse(value)) return { problem: `"${value}" is not a URL` };
  const url = new URL(value);
  if (url.protocol !== "https:" && url.protocol !== "http:") return { problem: `"${value}" is not an http(s) origin` };
  if (url.origin !== value.replace(/\/$/, "")) return { problem: `"${value}" is not an origin (scheme://host[:port], no path)` };
  if (url.protocol === "http:" && !isLocalhost(url.hostname)) {
    return { problem: `"${value}" is plain http: browsers offer passkeys only to https pages (or http://localhost)` };
  }
  return { origin: url.origin, hostname: url.hostname };
}

/** Whether a page on `hostname` may use passkeys of `rpId`: the host itself, or a suffix of it that is not a TLD. */
function coversHost(rpId: string, hostname: string): boolean {
  if (hostname === rpId) return true;
  // A one-label suffix ("com") is a public suffix, which browsers refuse; longer public suffixes (co.uk) they refuse
  // too, by their list, which latchkey does not carry: an operator who sets one learns it at the first ceremony.
  return rpId.includes(".") && hostname.endsWith(`.${rpId}`);
}

/** The WEBAUTHN_* settings; `publicUrl` gives the defaults (null: PORT=0 without PUBLIC_URL, on localhost). */
export function readWebauthn(read: Reader, publicUrl: string | null): WebauthnSettings {
  const enabled = read.bool("WEBAUTHN_ENABLED", false);
  const publicHost = publicUrl === null ? "localhost" : new URL(publicUrl).hostname;
  const rpIdSetting = read.optionalString("WEBAUTHN_RP_ID");
  const rpId = (rpIdSetting ?? publicHost).toLowerCase();
  const rpName = read.string("WEBAUTHN_RP_NAME", "latchkey");
  const originsSetting = read.optionalString("WEBAUTHN_RP_ORIGINS");
  const userVerification = read.oneOf("WEBAUTHN_USER_VERIFICATION", USER_VERIFICATION, "preferred", { caseInsensitive: true });

  if (rpIdSetting !== null) read.require(DOMAIN.test(rpId), `WEBAUTHN_RP_ID: expected a domain such as example.com (no scheme or port), got "${rpIdSetting}"`);
  read.require(rpName.length <= 64, "WEBAUTHN_RP_NAME: at most 64 characters (authenticators show it in a small space)");

  let origins: string[] | null = null;
  // The variable a problem with an origin names: the one the origin came from.
  const source = originsSetting !== null ? "WEBAUTHN_RP_ORIGINS" : "PUBLIC_URL";
  const written = originsSetting !== null ? read.list("WEBAUTHN_RP_ORIGINS", []) : publicUrl === null ? null : [publicUrl];
  if (written !== null) {
    origins = [];
    for (const value of written) {
      const parsed = parseOrigin(value);
      if ("problem" in parsed) {
        // Only an origin set for passkeys, or one they are on for, is wrong: a plain-http PUBLIC_URL is fine without them.
        if (originsSetting !== null || enabled) read.require(false, `${source}: ${parsed.problem} (passkeys need each of WEBAUTHN_RP_ORIGINS)`);
        continue;
      }
      if (enabled && DOMAIN.test(rpId)) {
        read.require(
          coversHost(rpId, parsed.hostname),
          `WEBAUTHN_RP_ID: "${rpId}" must be the host of each origin or a registrable suffix of it, and ${source}'s "${parsed.origin}" is on "${parsed.hostname}"`,
        );
      }
      origins.push(parsed.origin);
    }
    if (originsSetting !== null) read.require(written.length > 0, "WEBAUTHN_RP_ORIGINS: name at least one origin");
  } else if (enabled && DOMAIN.test(rpId)) {
    read.require(coversHost(rpId, "localhost"), `WEBAUTHN_RP_ID: "${rpId}" must be localhost, the host of PUBLIC_URL (unset, with PORT=0)`);
  }
  return { enabled, rpId, rpName, origins, userVerification };
}
