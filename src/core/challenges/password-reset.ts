// Password changes: with the current password, or with a ticket mailed to the account's address.
// Either way the other sessions end: whoever knew the old password must not stay signed in.
import type { Config } from "../../config.ts";
import type { Guesses } from "../throttling/guesses.ts";
import { linkPrefix, ticketMail, ticketOptions, type Composer, type TicketLink } from "../mail/intents.ts";
import type { MailQueue } from "../mail/queue.ts";
import type { Challenges } from "./challenges.ts";
import type { SessionContext, Sessions } from "../sessions/sessions.ts";
import { normaliseEmail, type Users } from "../accounts/users.ts";

/**
 * Setting a new password: with the current one (change), or with a ticket mailed to the account's address
 * (request, then reset). The new password must pass the policy: `password_too_short`, `password_too_long`,
 * `password_breached`. Either way the account's other sessions end.
 */
export interface PasswordReset {
  /**
   * Proves the current password (accounts without one skip that) and sets the new one; every other session of the
   * user ends. `keepSession`: the session making the change, which stays signed in (null: none stays).
   * `incorrect_current_password` (a guess, counted per account and IP), `user_not_found`, `rate_limited`.
   */
  change(
    userId: string,
    currentPassword: string,
    newPassword: string,
    client: SessionContext & { keepSession: string | null },
  ): Promise<void>;
  /**
   * Queues a reset link for `email` (template `lost-password`). Only an active account gets it (composeResetMail),
   * but the answer and its time are the same for every address (HBP says "Account does not exist."; latchkey does
   * not reveal that). Throttled per IP and per address (5 mails an address a window): `rate_limited`.
   * `link`: a dialect's own link, lifetime and token format (PASSWORD_RESET_URL or HBP's page,
   * TICKET_EXPIRES_IN_SECONDS and a uuid by default).
   */
  request(email: string, client: SessionContext, link?: Partial<TicketLink>): Promise<void>;
  /**
   * The mail worker's half of request: mints the ticket and mails its link to an active, enabled account; null
   * (nothing sent, no ticket) for any other address. A new ticket replaces the account's earlier one.
   */
  composeResetMail: Composer<"lost-password">;
  /**
   * Uses up a reset ticket and sets the new password; the address counts as verified (the ticket came by mail) and
   * every session of the user ends. The new password is checked first, so a refused one leaves the ticket usable.
   * `invalid_ticket` (unknown, expired, used or malformed: a wrong guess, counted per IP), `rate_limited`.
   */
  reset(ticket: string, newPassword: string, client: SessionContext): Promise<void>;
}

export function createPasswordReset(deps: {
  auth: Config["auth"];
  /** PUBLIC_URL, for the links mailed (src/public-url.ts). */
  publicUrl: () => string;
  users: Users;
  challenges: Challenges;
  sessions: Sessions;
  mailQueue: MailQueue;
  guesses: Guesses;
}): PasswordReset {
  const { auth, publicUrl, users, challenges, sessions, mailQueue, guesses } = deps;

  const composeResetMail: Composer<"lost-password"> = async (to, { link }) => {
    const user = await users.findByEmail(to);
    if (!user?.active || user.disabled || !user.email) return null;
    const ticket = await challenges.issueTicket(user.id, "reset-password", ticketOptions(link));
    return ticketMail(user.email, link.prefix + ticket, ticket);
  };

  return {
    async change(userId, currentPassword, newPassword, client) {
      await guesses.attempt({ ip: client.ip, account: `user:${userId}` }, () =>
        users.changePassword(userId, currentPassword, newPassword),
      );
      await sessions.revokeAllForUser(userId, { exceptSession: client.keepSession });
    },

    async request(email, client, link = {}) {
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

    async reset(ticket, newPassword, client) {
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

