// What every lncrawl handler receives.
import type { Config } from "../../config.ts";
import type { Core } from "../../core/index.ts";
import type { SessionContext } from "../../core/sessions/sessions.ts";
import type { HttpClient } from "../../http/client-ip.ts";

export interface LncrawlContext {
  core: Core;
  config: Pick<Config, "lncrawl">;
  /** Who sent a request (its IP and user agent), for rate limits and session records. */
  clientOf: HttpClient;
}

export interface LncrawlExchange {
  headers: Headers;
  client: SessionContext;
}
