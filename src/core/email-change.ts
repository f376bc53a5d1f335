// Changing the address of an account: directly (VERIFY_EMAILS=false), or by a ticket mailed to the new address.
import type { Config } from "../config.ts";
import { CoreError } from "./errors.ts";
import type { Guesses } from "./guesses.ts";
import type { Mailer } from "./mail/mailer.ts";
import type { OneTimeCodes } from "./one-time-codes.ts";
import { withTicket } from "./password-reset.ts";
import type { SessionContext } from "./sessions.ts";
import { normaliseEmail, type Users } from "./users.ts";

export type EmailChange = ReturnType<typeof createEmailChange>;

export function createEmailChange(deps: { config: Config; users: Users; codes: OneTimeCodes; mailer: Mailer; guesses: Guesses }) {
  const { config, users, codes, mailer, guesses } = deps;

  async function notifyOldAddress(oldEmail: string | null, newEmail: string): Promise<void> {
    if (config.auth.notifyEmailChange && oldEmail) await mailer.sendEmailChanged({ to: oldEmail, newEmail });
  }

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
      const email = normaliseEmail(newEmail);
      const ticket = await codes.issueTicket(userId, "change-email", {
        ttlSeconds: config.auth.ticketExpiresInSeconds,
        data: { newEmail: email },
      });
      const base = config.auth.emailChangeUrl ?? `${config.server.publicUrl}/auth/change-email/change`;
      await mailer.sendEmailChange({ to: email, link: withTicket(base, ticket), ticket });
    },

    async confirm(ticket: string, client: SessionContext): Promise<void> {
      const { userId, data } = await guesses.attempt({ ip: client.ip }, () => codes.consumeTicket("change-email", ticket));
      const before = await users.findById(userId);
      if (!before || typeof data.newEmail !== "string") throw new CoreError("invalid_ticket");
      await users.setEmail(userId, data.newEmail);
      await notifyOldAddress(before.email, data.newEmail);
    },
  };
}
