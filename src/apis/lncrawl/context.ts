// What every lncrawl handler receives.
import type { Config } from "../../config.ts";
import type { Core } from "../../core/index.ts";
import type { SessionContext } from "../../core/sessions.ts";

export interface LncrawlContext {
  core: Core;
  config: Config;
}

export interface LncrawlExchange {
  headers: Headers;
  client: SessionContext;
}
