// Whether a password appears in a known breach: Have I Been Pwned's range API (HIBP_ENABLED), with k-anonymity:
// only the first 5 hex digits of the password's SHA-1 leave the machine, and the answer lists every suffix under
// them. One of the registration policy's password rules (core/accounts/registration-policy.ts).
import type { Logger } from "../../lib/logger.ts";

const HIBP_RANGE_URL = "https://api.pwnedpasswords.com/range/";
const HIBP_TIMEOUT_MS = 5_000;

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export interface BreachedPasswords {
  /** True when the check is on and the password appears in a breach. A failed lookup counts as "not found" (and is logged). */
  isBreached(password: string): Promise<boolean>;
}

export function createBreachedPasswords(deps: { enabled: boolean; logger: Logger; fetch?: Fetch }): BreachedPasswords {
  const { enabled, logger } = deps;
  const fetchRange: Fetch = deps.fetch ?? ((url, init) => fetch(url, init));

  return {
    async isBreached(password) {
      if (!enabled) return false;
      const digest = new Bun.CryptoHasher("sha1").update(password).digest("hex").toUpperCase();
      const prefix = digest.slice(0, 5);
      const suffix = digest.slice(5);
      try {
        // Add-Padding: the answer's size does not tell an observer which prefix was asked for.
        const response = await fetchRange(`${HIBP_RANGE_URL}${prefix}`, {
          headers: { "add-padding": "true" },
          signal: AbortSignal.timeout(HIBP_TIMEOUT_MS),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = await response.text();
        return body.split("\n").some((line) => {
          const [candidate, count] = line.trim().split(":");
          // Padding lines carry a count of 0.
          return candidate?.toUpperCase() === suffix && Number(count) > 0;
        });
      } catch (error) {
        // Availability over strictness: an outage of a third-party service must not stop every sign-up.
        logger.warn("breached-password check failed; password accepted", { error });
        return false;
      }
    },
  };
}
