// How many wrong guesses latchkey takes and from whom (core/throttling/guesses.ts), and which proxies' word on the
// client address it believes (src/http/client-ip.ts). Read by config.ts into `rateLimits`.
import { isAddressOrRange, type Reader } from "./config-reader.ts";

export interface RateLimitSettings {
  windowSeconds: number;
  /** Failed guesses at one account from one client IP per window: what stops one attacker address. */
  maxPerAccountAndIp: number;
  /** Failed guesses at one account from all IPs per window: the cap a botnet meets (core/throttling/guesses.ts). */
  maxPerAccount: number;
  /** Failures at one account (from all IPs) after which each further try waits a growing delay. */
  delayAfter: number;
  /** Failed guesses per client IP per window, whatever the account. */
  maxPerIp: number;
  /** Proxies whose X-Forwarded-For is believed (IPs or CIDR ranges); others' is ignored. */
  trustedProxies: string[];
}

export function readRateLimits(read: Reader): RateLimitSettings {
  const rateLimits: RateLimitSettings = {
    windowSeconds: read.number("RATE_LIMIT_WINDOW_SECONDS", 900, { min: 1, max: 86400, integer: true }),
    maxPerAccountAndIp: read.number("RATE_LIMIT_MAX_PER_ACCOUNT_AND_IP", 5, { min: 1, max: 100000, integer: true }),
    // NIST SP 800-63B's upper bound; RATE_LIMIT_DELAY_AFTER keeps a botnet well below it (README "Rate limits").
    maxPerAccount: read.number("RATE_LIMIT_MAX_PER_ACCOUNT", 100, { min: 1, max: 100000, integer: true }),
    delayAfter: read.number("RATE_LIMIT_DELAY_AFTER", 10, { min: 1, max: 100000, integer: true }),
    maxPerIp: read.number("RATE_LIMIT_MAX_PER_IP", 50, { min: 1, max: 1000000, integer: true }),
    trustedProxies: read.list("TRUSTED_PROXIES", []),
  };
  for (const proxy of rateLimits.trustedProxies) {
    read.require(isAddressOrRange(proxy), `TRUSTED_PROXIES: "${proxy}" is not an IP address or CIDR range`);
  }
  return rateLimits;
}
