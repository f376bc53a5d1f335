// What every WolfPal handler receives.
import type { Config } from "../../config.ts";
import type { Core } from "../../core/index.ts";
import type { SessionContext } from "../../core/sessions/sessions.ts";
import type { HttpClient } from "../../http/client-ip.ts";

export interface WolfpalContext {
  core: Core;
  config: Pick<Config, "wolfpal">;
  /** Who sent a request (its IP and user agent), for rate limits and session records. */
  clientOf: HttpClient;
}

export interface WolfpalExchange {
  headers: Headers;
  client: SessionContext;
}

/** Mailed links open the WolfPal app (WOLFPAL_APP_URL), or these API routes by default. */
export function appLink(ctx: WolfpalContext, path: string): string {
  const base = ctx.config.wolfpal.appUrl ?? `${ctx.core.publicUrl()}${ctx.config.wolfpal.prefix}`;
  return `${base.replace(/\/+$/, "")}${path}`;
}
