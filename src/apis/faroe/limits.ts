// Faroe's password-hashing limiter, as route guards (routes.ts shows which routes it guards). Every other
// limiter of Faroe's table sits in core next to the check it guards:
//   login failures per IP ......... core/passwords/password-check.ts   (5 per 15 min; a success gives its try back)
//   email verifications per user .. core/challenges/email-verification.ts (3 per 15 min)
//   reset requests per IP and user  core/challenges/reset-requests.ts   (3 per 15 min)
//   codes per request ............. core/challenges/purposes.ts (5 tries, then deleted)
//   TOTP and recovery codes per user  core/throttling/guesses.ts via second-factors/ (second factors: 5 per user
//                                     per RATE_LIMIT_WINDOW_SECONDS, 15 min by default; reset on success)
// All are counters in the database (core/throttling/rate-limits.ts), so they hold across restarts and instances. They are
// fixed windows where Faroe has token buckets: the same number of tries per period on average, but a client
// that used them up waits for the window to end instead of getting one back every few seconds.
import type { Exchange, FaroeContext } from "./context.ts";

/** argon2id costs ~60 ms of CPU a time. Faroe: a bucket of 5, one back every 10 s; here 5 per 50 s. */
const PASSWORD_HASHING = { max: 5, windowSeconds: 50 };

export type Guard = (request: { exchange: Exchange; params: Record<string, string | undefined> }) => Promise<void>;

export function passwordHashingGuards(ctx: FaroeContext): { perClientIp: Guard; always: Guard } {
  const consume = (key: string) => ctx.core.rateLimits.consume({ key: `password-hashing:${key}`, ...PASSWORD_HASHING });
  return {
    /** Counted per `X-Client-IP`; without it there is no IP to count (Faroe does the same). */
    async perClientIp({ exchange }) {
      if (exchange.client.ip) await consume(`ip:${exchange.client.ip}`);
    },
    /** Always counted: per `X-Client-IP`, or per user when it is not given. */
    async always({ exchange, params }) {
      await consume(exchange.client.ip ? `ip:${exchange.client.ip}` : `user:${params.user_id}`);
    },
  };
}
