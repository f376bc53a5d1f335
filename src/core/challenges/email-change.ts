// Changing the address of an account: directly (VERIFY_EMAILS=false), or by a ticket mailed to the new address.
// Mails are queued (core/mail/intents.ts): the worker mints the ticket when it sends the mail.
import type { Config } from "../../config.ts";
import { CoreError, isCoreError } from "../errors.ts";
import type { Guesses } from "../throttling/guesses.ts";
import { linkPrefix, ticketMail, type Composer } from "../mail/intents.ts";
import type { MailQueue } from "../mail/queue.ts";
import type { Challenges } from "./challenges.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import { normaliseEmail, type Users } from "../accounts/users.ts";

/**
 * Moving an account to a new address. With NOTIFY_EMAIL_CHANGE, every change is also mailed to the old address
 * (template `email-changed`), so an owner whose account was taken over hears of it. The new address must pass
 * ALLOWED_EMAIL_DOMAINS (`email_domain_not_allowed`) and be free (`email_unavailable`).
 */
export interface EmailChange {
  /** Sets the new address at once (VERIFY_EMAILS=false): `user_not_found`, `email_unavailable`, `email_domain_not_allowed`. */
  changeDirectly(userId: string, newEmail: string): Promise<void>;
  /**
   * Queues a link to the new address (template `change-email`); the address changes when it is followed (confirm).
   * Throttled per IP and per account (5 mails a window: the account cannot be used to mail strangers):
   * `rate_limited`; then `email_unavailable`, `email_domain_not_allowed`.
   */
  request(userId: string, newEmail: string, client: SessionContext): Promise<void>;
  /**
   * The mail worker's half of request: mints the ticket (EMAIL_CHANGE_URL, or HBP's page; TICKET_EXPIRES_IN_SECONDS)
   * and mails its link, or null (nothing sent) when the account is gone or disabled, or the address was taken or
   * refused since the request.
   */
  composeEmailChangeMail: Composer<"change-email">;
  /** The notice to the old address: it names the new one. */
  composeEmailChangedMail: Composer<"email-changed">;
  /**
   * Uses up a change-email ticket and moves the account to the address it was mailed to. `invalid_ticket` (unknown,
   * expired, used or malformed: a wrong guess, counted per IP), `rate_limited`, `email_unavailable` when another
   * account took the address meanwhile.
   */
  confirm(ticket: string, client: SessionContext): Promise<void>;
}

export function createEmailChange(deps: {
  auth: Config["auth"];
  /** PUBLIC_URL, for the links mailed (src/public-url.ts). */
  publicUrl: () => string;
  users: Users;
  challenges: Challenges;
  mailQueue: MailQueue;
  guesses: Guesses;
}): EmailChange {
  const { auth, publicUrl, users, challenges, mailQueue, guesses } = deps;

  async function notifyOldAddress(oldEmail: string | null, newEmail: string): Promise<void> {
    if (auth.notifyEmailChange && oldEmail) await mailQueue.enqueue("email-changed", oldEmail, { newEmail });
  }

  const composeEmailChangeMail: Composer<"change-email"> = async (to, { userId }) => {
    const user = await users.findById(userId);
    if (!user || user.disabled) return null;
    try {
      await users.assertEmailAvailable(userId, to);
    } catch (error) {
      if (isCoreError(error)) return null; // taken (or refused by ALLOWED_EMAIL_DOMAINS) since the request
      throw error;
    }
    const ticket = await challenges.issueTicket(userId, "change-email", {
      ttlSeconds: auth.ticketExpiresInSeconds,
      data: { newEmail: to },
    });
    const page = auth.emailChangeUrl ?? `${publicUrl()}/auth/change-email/change`;
    return ticketMail(to, linkPrefix(page) + ticket, ticket);
  };

  const composeEmailChangedMail: Composer<"email-changed"> = async (to, { newEmail }) => ({ to, variables: { new_email: newEmail } });

  return {
    async changeDirectly(userId, newEmail) {
      const before = await users.findById(userId);
      if (!before) throw new CoreError("user_not_found");
      await users.setEmail(userId, newEmail);
      await notifyOldAddress(before.email, normaliseEmail(newEmail));
    },

    async request(userId, newEmail, client) {
      // Each request mails an address of the caller's choosing: limit it, so an account cannot be used to spam.
      await guesses.throttle("email-change-mail", { ip: client.ip, account: `user:${userId}` });
      await users.assertEmailAvailable(userId, newEmail);
      await mailQueue.enqueue("change-email", normaliseEmail(newEmail), { userId });
    },

    composeEmailChangeMail,
    composeEmailChangedMail,

    async confirm(ticket, client) {
      const { userId, data } = await guesses.attempt({ ip: client.ip }, () => challenges.consumeTicket("change-email", ticket));
      const before = await users.findById(userId);
      if (!before || typeof data.newEmail !== "string") throw new CoreError("invalid_ticket");
      await users.setEmail(userId, data.newEmail);
      await notifyOldAddress(before.email, data.newEmail);
    },
  };
}
