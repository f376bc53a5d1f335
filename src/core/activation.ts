// Email activation: a ticket mailed as a link; following it activates the account. A magic-link registration
// mails the same kind of ticket as a sign-in link. Mails are queued (core/mail/intents.ts); the worker mints the
// ticket, and only for an account still waiting for its activation.
import type { Config } from "../config.ts";
import type { Guesses } from "./guesses.ts";
import { linkPrefix, ticketMail, ticketOptions, type Composer, type TicketLink } from "./mail/intents.ts";
import type { MailQueue } from "./mail/queue.ts";
import type { Challenges } from "./challenges/challenges.ts";
import type { SessionContext } from "./sessions.ts";
import { normaliseEmail, type User, type Users } from "./users.ts";

export type Activation = ReturnType<typeof createActivation>;

export function createActivation(deps: {
  auth: Config["auth"];
  /** PUBLIC_URL, for the links mailed (src/public-url.ts). */
  publicUrl: () => string;
  challenges: Challenges;
  users: Users;
  mailQueue: MailQueue;
  guesses: Guesses;
}) {
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

  /** For a password-less registration: the link activates and signs in (GET /auth/magic-link?action=register). */
  const composeMagicRegistrationMail: Composer<"magic-link-register"> = async (to) => {
    const user = await waitingAccount(to);
    if (!user) return null;
    const ticket = await challenges.issueTicket(user.id, "activate-account", { ttlSeconds: auth.ticketExpiresInSeconds });
    return ticketMail(user.email!, `${publicUrl()}/auth/magic-link?action=register&token=${ticket}`, ticket, "x-token");
  };

  return {
    /** Queues the activation mail of a new account. */
    async queueActivationMail(user: User, link: Partial<TicketLink> = {}): Promise<void> {
      await queueActivation(user.email!, link);
    },

    /** Queues the sign-in link that activates a password-less registration. */
    async queueMagicRegistrationMail(user: User): Promise<void> {
      await mailQueue.enqueue("magic-link-register", user.email!, {});
    },

    /**
     * Queues a new activation link for `email`. Only an account still waiting for one gets it, but the answer and
     * its time are the same for every address, so this does not reveal accounts; throttled per IP and address.
     */
    async resend(email: string, client: SessionContext, link: Partial<TicketLink> = {}): Promise<void> {
      await guesses.throttle("activation-mail", { ip: client.ip, account: `email:${normaliseEmail(email)}` });
      await queueActivation(email, link);
    },

    composeActivationMail,
    composeMagicRegistrationMail,

    /** Uses up an activation ticket; returns the now active user. */
    async activate(ticket: string, client: SessionContext): Promise<User> {
      const { userId } = await guesses.attempt({ ip: client.ip }, () => challenges.consumeTicket("activate-account", ticket));
      await users.activate(userId);
      return (await users.findById(userId))!;
    },
  };
}
