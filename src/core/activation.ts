// Email activation: a ticket mailed as a link; following it activates the account. A magic-link registration
// mails the same kind of ticket as a sign-in link.
import type { Config } from "../config.ts";
import type { Guesses } from "./guesses.ts";
import type { Mailer } from "./mail/mailer.ts";
import type { OneTimeCodes } from "./one-time-codes.ts";
import type { SessionContext } from "./sessions.ts";
import { normaliseEmail, type User, type Users } from "./users.ts";

export type Activation = ReturnType<typeof createActivation>;

interface TicketOptions {
  ttlSeconds?: number;
  format?: () => string;
}

export function createActivation(deps: { config: Config; codes: OneTimeCodes; users: Users; mailer: Mailer; guesses: Guesses }) {
  const { config, codes, users, mailer, guesses } = deps;

  async function newTicket(user: User, options: TicketOptions = {}): Promise<string> {
    return codes.issueTicket(user.id, "activate-account", {
      ttlSeconds: options.ttlSeconds ?? config.auth.ticketExpiresInSeconds,
      format: options.format,
    });
  }

  return {
    /** HBP's link by default; a dialect passes its own link, lifetime and token format. */
    async sendActivationMail(user: User, options: TicketOptions & { linkFor?: (ticket: string) => string } = {}): Promise<void> {
      const ticket = await newTicket(user, options);
      const link = options.linkFor?.(ticket) ?? `${config.server.publicUrl}/auth/activate?ticket=${ticket}`;
      await mailer.sendActivation({ to: user.email!, link, ticket });
    },

    /** For a password-less registration: the link activates and signs in (GET /auth/magic-link?action=register). */
    async sendMagicRegistrationMail(user: User): Promise<void> {
      const ticket = await newTicket(user);
      const link = `${config.server.publicUrl}/auth/magic-link?action=register&token=${ticket}`;
      await mailer.sendMagicLink({ to: user.email!, link, ticket, action: "register" });
    },

    /**
     * Mails a new activation link to an account still waiting for one. Unknown and active addresses get no mail
     * and the caller answers the same, so this does not reveal accounts; sends are throttled per IP and address.
     */
    async resend(email: string, client: SessionContext, options: TicketOptions & { linkFor?: (ticket: string) => string } = {}): Promise<void> {
      await guesses.throttle("activation-mail", { ip: client.ip, account: `email:${normaliseEmail(email)}` });
      const user = await users.findByEmail(email);
      if (user && !user.active && !user.disabled) await this.sendActivationMail(user, options);
    },

    /** Uses up an activation ticket; returns the now active user. */
    async activate(ticket: string, client: SessionContext): Promise<User> {
      const { userId } = await guesses.attempt({ ip: client.ip }, () => codes.consumeTicket("activate-account", ticket));
      await users.activate(userId);
      return (await users.findById(userId))!;
    },
  };
}
