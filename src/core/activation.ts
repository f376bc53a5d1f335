// Email activation: a one-hour ticket mailed as a link; following it activates the account.
import type { Config } from "../config.ts";
import type { Mailer } from "./mail/mailer.ts";
import type { OneTimeCodes } from "./one-time-codes.ts";
import type { User, Users } from "./users.ts";

const TICKET_TTL_SECONDS = 60 * 60;

export type Activation = ReturnType<typeof createActivation>;

export function createActivation(deps: { config: Config; codes: OneTimeCodes; users: Users; mailer: Mailer }) {
  const { config, codes, users, mailer } = deps;

  return {
    async sendActivationMail(user: User): Promise<void> {
      const ticket = await codes.issueTicket(user.id, "activate-account", { ttlSeconds: TICKET_TTL_SECONDS });
      const link = `${config.server.publicUrl}/auth/activate?ticket=${ticket}`;
      await mailer.sendActivation({ to: user.email!, link, ticket });
    },

    /** Uses up an activation ticket; returns the now active user. */
    async activate(ticket: string): Promise<User> {
      const { userId } = await codes.consumeTicket("activate-account", ticket);
      await users.activate(userId);
      return (await users.findById(userId))!;
    },
  };
}
