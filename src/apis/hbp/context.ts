// What every HBP handler receives: the core, the cookie jar, who sent the request, and the request facts it may need.
import type { Context } from "elysia";
import type { Config } from "../../config.ts";
import type { Core } from "../../core/index.ts";
import type { SessionContext } from "../../core/sessions/sessions.ts";
import type { HttpClient } from "../../http/client-ip.ts";
import type { CookieJar } from "./cookies.ts";

export interface HbpContext {
  core: Core;
  /** The settings HBP reads: its sign-in features (passkeys too), the claims it puts in tokens, storage's switch and limit. */
  config: Pick<Config, "auth" | "jwt" | "storage" | "webauthn">;
  cookies: CookieJar;
  /** Who sent a request (its IP and user agent), for rate limits and session records. */
  clientOf: HttpClient;
}

/** The parts of an HTTP exchange a handler reads and writes, without the framework's context. */
export interface Exchange {
  headers: Headers;
  client: SessionContext;
  /** Adds Set-Cookie headers to the answer. */
  setCookie(...cookies: string[]): void;
}

// helmet's nocache(): tokens must never sit in a shared cache.
const NO_CACHE = {
  "cache-control": "no-store, no-cache, must-revalidate, proxy-revalidate",
  pragma: "no-cache",
  expires: "0",
  "surrogate-control": "no-store",
};

/** The exchange of an /auth request; every answer of /auth is marked not to be cached. */
export function hbpExchange(ctx: HbpContext): (request: Request, set: Context["set"]) => Exchange {
  return (request, set) => {
    Object.assign(set.headers, NO_CACHE);
    // Elysia sends an array under set-cookie as Set-Cookie headers, rebuilding the answer's headers to do so: only an
    // answer that sets a cookie gets one (an empty one cost every other answer a little, on every request).
    const setCookie = (...cookies: string[]) => {
      ((set.headers["set-cookie"] ??= []) as string[]).push(...cookies);
    };
    return { headers: request.headers, client: ctx.clientOf(request), setCookie };
  };
}
