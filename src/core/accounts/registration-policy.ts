// The one registration policy every dialect obeys (ARCHITECTURE.md: one user base). Each dialect that creates
// accounts or sets passwords goes through core/accounts/users.ts, which asks this module, so no dialect can be a way around
// the rules another one enforces: an HBP-only operator who closes registration or limits domains must not find a
// second, open door in lncrawl or WolfPal. Dialects may add their own documented rules in front (WolfPal's 8 to 56
// characters, Faroe's 255 bytes); they cannot loosen these.
import type { Config } from "../../config.ts";
import type { BreachedPasswords } from "../passwords/breached-passwords.ts";
import { CoreError } from "../errors.ts";

/** So that every password works through every dialect: HBP's schema stops at 128 characters. */
export const MAX_PASSWORD_LENGTH = 128;

/**
 * Who is creating the account. `self`: someone signing themselves up (HBP register, magic-link or anonymous
 * sign-up, lncrawl signup, WolfPal register). `operator`: the deployment's own backend (Faroe's POST /users, with a
 * credential of 16+ characters that already lists and deletes every user), which runs its own sign-up page and
 * decides there who may register. REGISTRATION_ENABLED=false closes the first only.
 */
export type RegisteredBy = "self" | "operator";

/**
 * A password the policy accepted. Only checkPassword makes one, and users.setPassword takes nothing else: a new
 * route cannot set a password that skipped the policy, and no path checks one twice (the HIBP lookup is a request).
 */
export type AcceptedPassword = string & { readonly acceptedByPolicy: unique symbol };

export interface RegistrationPolicy {
  /** `registration_closed` when REGISTRATION_ENABLED=false and someone signs themselves up. */
  assertOpen(registeredBy: RegisteredBy): void;
  /**
   * `email_domain_not_allowed` unless the address (normalised) is at an allowed domain or one of its subdomains.
   * HBP only asks that the address end with the domain, which lets `a@evil-example.com` in with `example.com`.
   */
  checkEmail(email: string): void;
  /** A new password: `password_too_short` (MIN_PASSWORD_LENGTH), `password_too_long` (128), `password_breached` (HIBP_ENABLED). */
  checkPassword(password: string): Promise<AcceptedPassword>;
}

export function createRegistrationPolicy(deps: { settings: Config["registration"]; breached: BreachedPasswords }): RegistrationPolicy {
  const { settings, breached } = deps;

  return {
    assertOpen(registeredBy) {
      if (registeredBy === "self" && !settings.enabled) throw new CoreError("registration_closed");
    },

    checkEmail(email) {
      if (settings.allowedEmailDomains.length === 0) return;
      const domain = email.slice(email.lastIndexOf("@") + 1);
      const allowed = settings.allowedEmailDomains.some((listed) => domain === listed || domain.endsWith(`.${listed}`));
      if (!allowed) throw new CoreError("email_domain_not_allowed");
    },

    async checkPassword(password) {
      if (password.length < settings.minPasswordLength) throw new CoreError("password_too_short");
      if (password.length > MAX_PASSWORD_LENGTH) throw new CoreError("password_too_long");
      if (await breached.isBreached(password)) throw new CoreError("password_breached");
      return password as AcceptedPassword;
    },
  };
}
