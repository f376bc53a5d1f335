// Changing the address of an account: directly (VERIFY_EMAILS=false), or by a ticket mailed to the new address.
// Mails are queued (core/mail/intents.ts): the worker mints the ticket when it sends the mail.
import type { Config } from "../config.ts";
import { CoreError, isCoreError } from "./errors.ts";
import type { Guesses } from "./guesses.ts";
import { linkPrefix, ticketMail, type Composer } from "./mail/intents.ts";
import type { MailQueue } from "./mail/queue.ts";
import type { Challenges } from "./challenges/challenges.ts";
import type { SessionContext } from "./sessions.ts";
import { normaliseEmail, type Users } from "./users.ts";

export type EmailChange = ReturnType<typeof createEmailChange>;

export function createEmailChange(deps: {
  auth: Config["auth"];
  /** PUBLIC_URL, for the links mailed (src/public-url.ts). */
  publicUrl: () => string;
  users: Users;
  challenges: Challenges;
  mailQueue: MailQueue;
  guesses: Guesses;
}) {
  const { auth, publicUrl, users, challenges, mailQueue, guesses } = deps;

  async function notifyOldAddress(oldEmail: string | null, newEmail: string): Promise<void> {
    if (auth.notifyEmailChange && oldEmail) await mailQueue.enqueue("email-changed", oldEmail, { newEmail });
  }

  /** The link to the new address, while the account may still take it. */
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
    async changeDirectly(userId: string, newEmail: string): Promise<void> {
      const before = await users.findById(userId);
      if (!before) throw new CoreError("user_not_found");
      await users.setEmail(userId, newEmail);
      await notifyOldAddress(before.email, normaliseEmail(newEmail));
    },

    async request(userId: string, newEmail: string, client: SessionContext): Promise<void> {
      // Each request mails an address of the caller's choosing: limit it, so an account cannot be used to spam.
      await guesses.throttle("email-change-mail", { ip: client.ip, account: `user:${userId}` });
      await users.assertEmailAvailable(userId, newEmail);
      await mailQueue.enqueue("change-email", normaliseEmail(newEmail), { userId });
    },

    composeEmailChangeMail,
    composeEmailChangedMail,

    async confirm(ticket: string, client: SessionContext): Promise<void> {
      const { userId, data } = await guesses.attempt({ ip: client.ip }, () => challenges.consumeTicket("change-email", ticket));
      const before = await users.findById(userId);
      if (!before || typeof data.newEmail !== "string") throw new CoreError("invalid_ticket");
      await users.setEmail(userId, data.newEmail);
      await notifyOldAddress(before.email, data.newEmail);
    },
  };
}
