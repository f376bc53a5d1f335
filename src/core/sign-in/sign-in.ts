// Proving who you are beyond the password (password-check.ts; a password login is login.ts): the TOTP step after it,
// magic link, admin impersonation, anonymous.
// Every check here is a guess an attacker could repeat, so each goes through `guesses` (per IP and account).
// No path hands out a session on one factor when the user has two (ARCHITECTURE.md: one user base).
import type { Config } from "../../config.ts";
import { CoreError, isCoreError } from "../errors.ts";
import type { Guesses } from "../throttling/guesses.ts";
import { ticketMail, type Composer } from "../mail/intents.ts";
import type { MailQueue } from "../mail/queue.ts";
import type { Challenges } from "../challenges/challenges.ts";
import type { SecurityEvents } from "../security-events.ts";
import { constantTimeEqual } from "../../lib/secrets.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import type { SecondFactors } from "../second-factors/index.ts";
import type { Totp } from "../second-factors/totp.ts";
import { assertCanSignIn, normaliseEmail, type User, type Users } from "../accounts/users.ts";

/** The first factor passed: either the user, or a ticket for the TOTP step. */
export type FirstFactorResult = { kind: "signed-in"; user: User } | { kind: "second-factor"; ticket: string; user: User };

/** Every way of proving who you are; each answers the user (or a second-factor ticket), never a session. */
export interface SignIn {
  /** The password proved who this is (login.ts): a ticket for the TOTP step when the user has it, else signed in. */
  afterFirstFactor(user: User): Promise<FirstFactorResult>;
  /**
   * The second step: the ticket from the first, and a TOTP code (or, where the dialect offers them, a backup
   * code). A wrong code keeps the ticket for a retry; the rate limit counts it.
   */
  withTotp(ticket: string, code: string, client: SessionContext, options?: { backupCodes?: boolean }): Promise<User>;
  /**
   * HBP's impersonation: the right admin secret stands in for the user's password (and second factor). Only when
   * USER_IMPERSONATION_ENABLED and ADMIN_SECRET are set: `invalid_admin_secret`.
   */
  asAdmin(email: string, adminSecret: string, client: SessionContext): Promise<User>;
  /** Queues a sign-in link for `email`; the answer and its time are the same for every address. */
  requestMagicLink(email: string, client: SessionContext): Promise<void>;
  /** Mints the link of a queued magic-link mail, or null when the address gets none (core/mail/intents.ts). */
  composeMagicLinkMail: Composer<"magic-link-log-in">;
  withMagicLink(token: string, client: SessionContext): Promise<User>;
  /** A new anonymous account (throttled per client address). */
  anonymous(client: SessionContext): Promise<User>;
}

export function createSignIn(deps: {
  auth: Config["auth"];
  /** PUBLIC_URL, for the links mailed (src/public-url.ts). */
  publicUrl: () => string;
  users: Users;
  guesses: Guesses;
  events: SecurityEvents;
  totp: Totp;
  challenges: Challenges;
  mailQueue: MailQueue;
  secondFactors: SecondFactors;
}): SignIn {
  const { auth, publicUrl, users, guesses, events, totp, challenges, mailQueue, secondFactors } = deps;
  const ttlSeconds = auth.ticketExpiresInSeconds;

  /**
   * assertCanSignIn, once a secret other than the password proved who this is (a password goes through
   * password-check.ts, inside guesses.attempt, which records the same event).
   */
  function admit(user: User, client: SessionContext): void {
    try {
      assertCanSignIn(user);
    } catch (error) {
      const account = user.email ? `email:${user.email}` : `user:${user.id}`;
      if (isCoreError(error, "account_disabled")) events.record("disabled_account", { ip: client.ip, account });
      throw error;
    }
  }

  /** A sign-in link, for an active account without a second factor (the link alone is one factor). */
  const composeMagicLinkMail: Composer<"magic-link-log-in"> = async (to) => {
    const user = await users.findByEmail(to);
    if (!user?.email || !user.active || user.disabled || (await totp.isEnabled(user.id))) return null;
    const ticket = await challenges.issueTicket(user.id, "magic-link", { ttlSeconds });
    return ticketMail(user.email, `${publicUrl()}/auth/magic-link?action=log-in&token=${ticket}`, ticket, "x-token");
  };

  /** The password proved who this is: a ticket for the second step when the user has TOTP, else signed in. */
  async function afterFirstFactor(user: User): Promise<FirstFactorResult> {
    if (!(await totp.isEnabled(user.id))) return { kind: "signed-in", user };
    const ticket = await challenges.issueTicket(user.id, "mfa-login", { ttlSeconds });
    return { kind: "second-factor", ticket, user };
  }

  return {
    afterFirstFactor,

    /**
     * The second step: the ticket from the first, and a TOTP code (or, where the dialect offers them, a backup
     * code). A wrong code keeps the ticket for a retry; the rate limit counts it.
     */
    async withTotp(ticket: string, code: string, client: SessionContext, options: { backupCodes?: boolean } = {}): Promise<User> {
      const { userId } = await guesses.attempt({ ip: client.ip }, () => challenges.peekTicket("mfa-login", ticket));
      await secondFactors.verify(userId, code, client, options);
      await challenges.consumeTicket("mfa-login", ticket);
      const user = await users.findById(userId);
      if (!user) throw new CoreError("invalid_ticket");
      admit(user, client);
      return user;
    },

    /**
     * HBP's impersonation: the right `x-admin-secret` stands in for the user's password (and second factor:
     * the operator holds the keys to everything anyway). Only when USER_IMPERSONATION_ENABLED and ADMIN_SECRET are set.
     */
    async asAdmin(email: string, adminSecret: string, client: SessionContext): Promise<User> {
      const expected = auth.adminSecret;
      await guesses.attempt({ ip: client.ip }, async () => {
        if (expected === null || !constantTimeEqual(adminSecret, expected)) throw new CoreError("invalid_admin_secret");
      });
      // Granted: whatever follows, the secret was used (a wrong one is recorded by guesses.attempt).
      events.record("admin_secret_used", { ip: client.ip, account: `email:${normaliseEmail(email)}` });
      const user = await users.findByEmail(email);
      if (!user) throw new CoreError("invalid_credentials");
      admit(user, client);
      return user;
    },

    /**
     * Queues a sign-in link for `email`. Only an active account without a second factor gets it
     * (composeMagicLinkMail), but the answer and its time are the same for every address.
     */
    async requestMagicLink(email: string, client: SessionContext): Promise<void> {
      const address = normaliseEmail(email);
      await guesses.throttle("magic-link-mail", { ip: client.ip, account: `email:${address}` });
      await mailQueue.enqueue("magic-link-log-in", address, {});
    },

    composeMagicLinkMail,

    async withMagicLink(token: string, client: SessionContext): Promise<User> {
      const { userId } = await guesses.attempt({ ip: client.ip }, () => challenges.consumeTicket("magic-link", token));
      const user = await users.findById(userId);
      if (!user) throw new CoreError("invalid_ticket");
      // TOTP was enabled after the link was mailed: the link alone is one factor.
      if (await totp.isEnabled(user.id)) throw new CoreError("mfa_required");
      admit(user, client);
      return user;
    },

    async anonymous(client: SessionContext): Promise<User> {
      // Creating accounts costs storage: limit it per client address.
      await guesses.throttle("anonymous-account", { ip: client.ip });
      return users.createAnonymous();
    },
  };
}
