// The console session's cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page makes the
// browser send it), Path=/console (no other route of the server gets it), Secure under COOKIE_SECURE (an https
// PUBLIC_URL by default), and no longer than the session can live.
import type { Config } from "../../config.ts";
import { CONSOLE_SESSION_MAX_MS } from "../../core/administration/console-sessions.ts";

export const CONSOLE_COOKIE = "latchkey_console";

function attributes(config: Pick<Config, "cookies">, maxAgeSeconds: number): string {
  return `Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${config.cookies.secure ? "; Secure" : ""}`;
}

export function sessionCookie(config: Pick<Config, "cookies">, token: string): string {
  return `${CONSOLE_COOKIE}=${token}; ${attributes(config, CONSOLE_SESSION_MAX_MS / 1000)}`;
}

export function clearedCookie(config: Pick<Config, "cookies">): string {
  return `${CONSOLE_COOKIE}=; ${attributes(config, 0)}`;
}

/** The session token of a Cookie header, or null. */
export function sessionTokenOf(cookieHeader: string | null): string | null {
  if (!cookieHeader) return null;
  for (const pair of cookieHeader.split(";")) {
    const separator = pair.indexOf("=");
    if (separator > 0 && pair.slice(0, separator).trim() === CONSOLE_COOKIE) return pair.slice(separator + 1).trim() || null;
  }
  return null;
}
