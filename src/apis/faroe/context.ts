// What every Faroe handler receives: the core, the settings, and the request facts it may need.
import type { Config } from "../../config.ts";
import type { Core } from "../../core/index.ts";
import type { SessionContext } from "../../core/sessions/sessions.ts";

export interface FaroeContext {
  core: Core;
  config: Pick<Config, "auth" | "faroe">;
}

/** The parts of a request a handler reads, without the framework's context. */
export interface Exchange {
  /**
   * The end user's address as the calling backend reports it in `X-Client-IP` (the peer is that backend, the
   * same for every user): IP-based limits apply only when it is given.
   */
  client: SessionContext;
}
