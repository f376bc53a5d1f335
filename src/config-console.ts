// The admin console's settings (src/apis/console/, README "Console") and how long security events are kept (the
// console shows them; core/housekeeping.ts purges older ones). Read by config.ts into `console` and `securityEvents`.
import type { Reader } from "./config-reader.ts";

export interface ConsoleSettings {
  /** CONSOLE_ENABLED: /console and /console/api are served; off, both are unknown paths (404). */
  enabled: boolean;
  /**
   * CONSOLE_REQUIRE_MFA: an administrator without a second factor (TOTP) is refused at sign-in. Unset: on when
   * PUBLIC_URL is https (a console reachable from the internet), off otherwise (a console on localhost or a LAN).
   */
  requireMfa: boolean;
  /** CONSOLE_SESSION_IDLE_MINUTES: a console session unused this long is over (the absolute limit is 8 hours). */
  idleMinutes: number;
}

export interface SecurityEventSettings {
  /** SECURITY_EVENTS_KEEP_DAYS: security events older than this are deleted by housekeeping (the log lines stay). */
  keepDays: number;
}

export function readConsoleSettings(read: Reader, publicUrl: string | null): { console: ConsoleSettings; securityEvents: SecurityEventSettings } {
  const https = publicUrl !== null && /^https:/i.test(publicUrl);
  return {
    console: {
      enabled: read.bool("CONSOLE_ENABLED", true),
      requireMfa: read.bool("CONSOLE_REQUIRE_MFA", https),
      idleMinutes: read.number("CONSOLE_SESSION_IDLE_MINUTES", 30, { min: 1, max: 480, integer: true }),
    },
    securityEvents: {
      keepDays: read.number("SECURITY_EVENTS_KEEP_DAYS", 30, { min: 1, max: 3650, integer: true }),
    },
  };
}
