// Email activation: a ticket mailed as a link; following it activates the account. A magic-link registration
// mails the same kind of ticket as a sign-in link.
import type { Config } from "../config.ts";
import type { Guesses } from "./guesses.ts";
import type { Mailer } from "./mail/mailer.ts";
import type { OneTimeCodes } from "./one-time-codes.ts";
import type { SessionContext } from "./sessions.ts";
import type { User, Users } from "./users.ts";

export type Activation = ReturnType<typeof createActivation>;

export function createActivation(deps: { config: Config; codes: OneTimeCodes; users: Users; mailer: Mailer; guesses: Guesses }) {
  const { config, codes, users, mailer, guesses } = deps;

  async function newTicket(user: User): Promise<string> {
    return codes.issueTicket(user.id, "activate-account", { ttlSeconds: config.auth.ticketExpiresInSeconds });
  }

  return {
    async sendActivationMail(user: User): Promise<void> {
      const ticket = await newTicket(user);
      const link = `${config.server.publicUrl}/auth/activate?ticket=${ticket}`;
      await mailer.sendActivation({ to: user.email!, link, ticket });
    },

    /** For a password-less registration: the link activates and signs in (GET /auth/magic-link?action=register). */
    async sendMagicRegistrationMail(user: User): Promise<void> {
      const ticket = await newTicket(user);
      const link = `${config.server.publicUrl}/auth/magic-link?action=register&token=${ticket}`;
      await mailer.sendMagicLink({ to: user.email!, link, ticket, action: "register" });
    },

    /** Uses up an activation ticket; returns the now active user. */
    async activate(ticket: string, client: SessionContext): Promise<User> {
      const { userId } = await guesses.attempt({ ip: client.ip }, () => codes.consumeTicket("activate-account", ticket));
      await users.activate(userId);
      return (await users.findById(userId))!;
    },
  };
}
