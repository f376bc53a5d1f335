// HBP's cookies: `refresh_token` and `permission_variables` (spec/hbp.md §4), signed in the cookie-signature
// format HBP's cookie-parser uses: `s:<value>.<base64 HMAC-SHA256, no padding>`. latchkey always signs (a secret is
// generated when COOKIE_SECRET is unset), so a client cannot forge `permission_variables`.
import { createHmac } from "node:crypto";
import type { Config } from "../../config.ts";
import type { Clock } from "../../lib/clock.ts";
import { constantTimeEqual } from "../../lib/secrets.ts";

export const REFRESH_COOKIE = "refresh_token";
export const PERMISSIONS_COOKIE = "permission_variables";

export type CookieJar = ReturnType<typeof createCookieJar>;

export function parseCookieHeader(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index < 0) continue;
    const name = part.slice(0, index).trim();
    if (!name || cookies.has(name)) continue;
    const raw = part.slice(index + 1).trim().replace(/^"(.*)"$/, "$1");
    try {
      cookies.set(name, decodeURIComponent(raw));
    } catch {
      // A malformed escape is an unusable cookie, not an error.
    }
  }
  return cookies;
}

export function createCookieJar(options: { config: Config["cookies"]; secret: string; maxAgeSeconds: number; clock: Clock }) {
  const { config, secret, maxAgeSeconds, clock } = options;

  function signature(value: string): string {
    return createHmac("sha256", secret).update(value).digest("base64").replace(/=+$/, "");
  }

  function attributes(maxAge: number): string {
    const expires = new Date(clock.now() + maxAge * 1000).toUTCString();
    return `Max-Age=${maxAge}; Path=/; Expires=${expires}; HttpOnly${config.secure ? "; Secure" : ""}; SameSite=${config.sameSite}`;
  }

  function serialize(name: string, value: string): string {
    return `${name}=${encodeURIComponent(`s:${value}.${signature(value)}`)}; ${attributes(maxAgeSeconds)}`;
  }

  return {
    /** The value of a correctly signed cookie; null when absent, unsigned or tampered with. */
    read(header: string | null, name: string): string | null {
      const raw = parseCookieHeader(header).get(name);
      if (!raw?.startsWith("s:")) return null;
      const dot = raw.lastIndexOf(".");
      if (dot < 2) return null;
      const value = raw.slice(2, dot);
      return constantTimeEqual(raw.slice(dot + 1), signature(value)) ? value : null;
    },

    /** Set-Cookie headers for a signed-in session. */
    sessionCookies(refreshToken: string, permissionVariables: Record<string, unknown>): string[] {
      return [serialize(REFRESH_COOKIE, refreshToken), serialize(PERMISSIONS_COOKIE, JSON.stringify(permissionVariables))];
    },

    /**
     * A short-lived signed cookie for one path (the provider flow's state, providers.ts). `crossSite`: it must come
     * back with a cross-site POST (a form_post provider): SameSite=None, which browsers take only with Secure, so
     * only where cookies are Secure (an https PUBLIC_URL); elsewhere Lax.
     */
    pathCookie(name: string, value: string, options: { path: string; maxAgeSeconds: number; crossSite: boolean }): string {
      const sameSite = options.crossSite && config.secure ? "None" : "Lax";
      const expires = new Date(clock.now() + options.maxAgeSeconds * 1000).toUTCString();
      const signed = encodeURIComponent(`s:${value}.${signature(value)}`);
      return `${name}=${signed}; Max-Age=${options.maxAgeSeconds}; Path=${options.path}; Expires=${expires}; HttpOnly${config.secure ? "; Secure" : ""}; SameSite=${sameSite}`;
    },

    /** The Set-Cookie header that removes a pathCookie. */
    clearedPathCookie(name: string, path: string): string {
      return `${name}=; Path=${path}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly${config.secure ? "; Secure" : ""}; SameSite=Lax`;
    },

    /** Set-Cookie headers that remove both cookies. */
    clearedCookies(): string[] {
      const cleared = `Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly${config.secure ? "; Secure" : ""}; SameSite=${config.sameSite}`;
      return [`${REFRESH_COOKIE}=; ${cleared}`, `${PERMISSIONS_COOKIE}=; ${cleared}`];
    },
  };
}
