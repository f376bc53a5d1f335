// Password changes: with the current password, or with a ticket mailed to the account's address.
// Either way the other sessions end: whoever knew the old password must not stay signed in.
import type { Config } from "../config.ts";
import type { Guesses } from "./guesses.ts";
import { linkPrefix, ticketMail, ticketOptions, type Composer, type TicketLink } from "./mail/intents.ts";
import type { MailQueue } from "./mail/queue.ts";
import type { Challenges } from "./challenges/challenges.ts";
import type { SessionContext, Sessions } from "./sessions.ts";
import { normaliseEmail, type Users } from "./users.ts";

export type PasswordReset = ReturnType<typeof createPasswordReset>;

export function createPasswordReset(deps: {
  auth: Config["auth"];
  /** PUBLIC_URL, for the links mailed (src/public-url.ts). */
  publicUrl: () => string;
  users: Users;
  challenges: Challenges;
  sessions: Sessions;
  mailQueue: MailQueue;
  guesses: Guesses;
}) {
  const { auth, publicUrl, users, challenges, sessions, mailQueue, guesses } = deps;

  /** Mails a reset link to an active account; for any other address there is nothing to send. */
  const composeResetMail: Composer<"lost-password"> = async (to, { link }) => {
    const user = await users.findByEmail(to);
    if (!user?.active || user.disabled || !user.email) return null;
    const ticket = await challenges.issueTicket(user.id, "reset-password", ticketOptions(link));
    return ticketMail(user.email, link.prefix + ticket, ticket);
  };

  return {
    /** `keepSession`: the session making the change, which stays signed in. */
    async change(
      userId: string,
      currentPassword: string,
      newPassword: string,
      client: SessionContext & { keepSession: string | null },
    ): Promise<void> {
      await guesses.attempt({ ip: client.ip, account: `user:${userId}` }, () =>
        users.changePassword(userId, currentPassword, newPassword),
      );
      await sessions.revokeAllForUser(userId, { exceptSession: client.keepSession });
    },

    /**
     * Queues a reset link for `email`. Only an active account gets it (composeResetMail), but the answer and its time
     * are the same for every address (HBP says "Account does not exist."; latchkey does not reveal that).
     * `link`: a dialect's own link, lifetime and token format (HBP's page and TICKET_EXPIRES_IN_SECONDS by default).
     */
    async request(email: string, client: SessionContext, link: Partial<TicketLink> = {}): Promise<void> {
      const address = normaliseEmail(email);
      await guesses.throttle("reset-mail", { ip: client.ip, account: `email:${address}` });
      const hbpPage = auth.passwordResetUrl ?? `${publicUrl()}/auth/change-password/change`;
      await mailQueue.enqueue("lost-password", address, {
        link: {
          prefix: link.prefix ?? linkPrefix(hbpPage),
          ttlSeconds: link.ttlSeconds ?? auth.ticketExpiresInSeconds,
          tokenBytes: link.tokenBytes ?? null,
        },
      });
    },

    composeResetMail,

    async reset(ticket: string, newPassword: string, client: SessionContext): Promise<void> {
      // Check the new password first, so a refused one does not use the ticket up.
      const accepted = await users.checkPassword(newPassword);
      const { userId } = await guesses.attempt({ ip: client.ip }, () => challenges.consumeTicket("reset-password", ticket));
      await users.setPassword(userId, accepted);
      // The ticket came by mail: the address is proven.
      await users.markEmailVerified(userId);
      await sessions.revokeAllForUser(userId);
    },
  };
}

