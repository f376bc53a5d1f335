// Email activation: a ticket mailed as a link; following it activates the account. A magic-link registration
// mails the same kind of ticket as a sign-in link. Mails are queued (core/mail/intents.ts); the worker mints the
// ticket, and only for an account still waiting for its activation.
import type { Config } from "../../config.ts";
import type { Guesses } from "../throttling/guesses.ts";
import { linkPrefix, ticketMail, ticketOptions, type Composer, type TicketLink } from "../mail/intents.ts";
import type { MailQueue } from "../mail/queue.ts";
import type { Challenges } from "./challenges.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import { normaliseEmail, type User, type Users } from "../accounts/users.ts";

/**
 * Activating a new account by a mailed ticket. `link`, where a method takes one: a dialect's own link prefix,
 * lifetime and token format; HBP's `/auth/activate` link, TICKET_EXPIRES_IN_SECONDS and a uuid by default.
 */
export interface Activation {
  /** Queues the activation mail (template `activate-account`) of a new account; the ticket is minted when it is sent. */
  queueActivationMail(user: User, link?: Partial<TicketLink>): Promise<void>;
  /**
   * Queues the sign-in link (template `magic-link-register`) that activates a password-less registration
   * (GET /auth/magic-link?action=register).
   */
  queueMagicRegistrationMail(user: User): Promise<void>;
  /**
   * Queues a new activation link for `email`. Only an account still waiting for one gets it, but the answer and
   * its time are the same for every address, so this does not reveal accounts. Throttled per IP and per address
   * (5 mails an address per window, so nobody floods an inbox): `rate_limited`.
   */
  resend(email: string, client: SessionContext, link?: Partial<TicketLink>): Promise<void>;
  /**
   * The mail worker's half of queueActivationMail and resend: mints the ticket and mails its link, or null (nothing
   * sent, no ticket) unless the address belongs to an account waiting for activation. A new ticket replaces the
   * account's earlier one.
   */
  composeActivationMail: Composer<"activate-account">;
  /** The mail worker's half of queueMagicRegistrationMail: the same, with the magic-link URL and an `x-token` header. */
  composeMagicRegistrationMail: Composer<"magic-link-register">;
  /**
   * Uses up an activation ticket; returns the now active user. `invalid_ticket` (unknown, expired, already used or
   * malformed: a wrong guess, counted per IP), `rate_limited`.
   */
  activate(ticket: string, client: SessionContext): Promise<User>;
}

export function createActivation(deps: {
  auth: Config["auth"];
  /** PUBLIC_URL, for the links mailed (src/public-url.ts). */
  publicUrl: () => string;
  challenges: Challenges;
  users: Users;
  mailQueue: MailQueue;
  guesses: Guesses;
}): Activation {
  const { auth, publicUrl, challenges, users, mailQueue, guesses } = deps;

  /** The account at `email` when it waits for activation; null for any other address. */
  async function waitingAccount(email: string): Promise<User | null> {
    const user = await users.findByEmail(email);
    return user?.email && !user.active && !user.disabled ? user : null;
  }

  /** HBP's link by default; a dialect passes its own link prefix, lifetime and token format. */
  function queueActivation(email: string, link: Partial<TicketLink>): Promise<void> {
    return mailQueue.enqueue("activate-account", normaliseEmail(email), {
      link: {
        prefix: link.prefix ?? linkPrefix(`${publicUrl()}/auth/activate`),
        ttlSeconds: link.ttlSeconds ?? auth.ticketExpiresInSeconds,
        tokenBytes: link.tokenBytes ?? null,
      },
    });
  }

  const composeActivationMail: Composer<"activate-account"> = async (to, { link }) => {
    const user = await waitingAccount(to);
    if (!user) return null;
    const ticket = await challenges.issueTicket(user.id, "activate-account", ticketOptions(link));
    return ticketMail(user.email!, link.prefix + ticket, ticket);
  };

  const composeMagicRegistrationMail: Composer<"magic-link-register"> = async (to) => {
    const user = await waitingAccount(to);
    if (!user) return null;
    const ticket = await challenges.issueTicket(user.id, "activate-account", { ttlSeconds: auth.ticketExpiresInSeconds });
    return ticketMail(user.email!, `${publicUrl()}/auth/magic-link?action=register&token=${ticket}`, ticket, "x-token");
  };

  return {
    async queueActivationMail(user, link = {}) {
      await queueActivation(user.email!, link);
    },

    async queueMagicRegistrationMail(user) {
      await mailQueue.enqueue("magic-link-register", user.email!, {});
    },

    async resend(email, client, link = {}) {
      await guesses.throttle("activation-mail", { ip: client.ip, account: `email:${normaliseEmail(email)}` });
      await queueActivation(email, link);
    },

    composeActivationMail,
    composeMagicRegistrationMail,

    async activate(ticket, client) {
      const { userId } = await guesses.attempt({ ip: client.ip }, () => challenges.consumeTicket("activate-account", ticket));
      await users.activate(userId);
      return (await users.findById(userId))!;
    },
  };
}
