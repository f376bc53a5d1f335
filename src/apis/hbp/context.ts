// What every HBP handler receives: the core, the cookie jar, who sent the request, and the request facts it may need.
import type { Config } from "../../config.ts";
import type { Core } from "../../core/index.ts";
import type { SessionContext } from "../../core/sessions.ts";
import type { HttpClient } from "../../http/client-ip.ts";
import type { CookieJar } from "./cookies.ts";

export interface HbpContext {
  core: Core;
  config: Config;
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
