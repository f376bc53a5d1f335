// Password changes: with the current password, or with a ticket mailed to the account's address.
// Either way the other sessions end: whoever knew the old password must not stay signed in.
import type { Config } from "../config.ts";
import type { Guesses } from "./guesses.ts";
import type { Mailer } from "./mail/mailer.ts";
import type { OneTimeCodes } from "./one-time-codes.ts";
import type { PasswordHasher } from "./passwords.ts";
import type { SessionContext, Sessions } from "./sessions.ts";
import { normaliseEmail, type Users } from "./users.ts";

export type PasswordReset = ReturnType<typeof createPasswordReset>;

export function createPasswordReset(deps: {
  config: Config;
  users: Users;
  codes: OneTimeCodes;
  sessions: Sessions;
  mailer: Mailer;
  guesses: Guesses;
  passwords: PasswordHasher;
}) {
  const { config, users, codes, sessions, mailer, guesses, passwords } = deps;

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
     * Mails a reset link to an active account. Unknown and inactive addresses get no mail and the same answer
     * (HBP says "Account does not exist."; latchkey does not reveal that).
     */
    /** `linkFor`: the link mailed for a ticket (HBP's page by default); a dialect may set the lifetime and format too. */
    async request(
      email: string,
      client: SessionContext,
      options: { linkFor?: (ticket: string) => string; ttlSeconds?: number; format?: () => string } = {},
    ): Promise<void> {
      await guesses.throttle("reset-mail", { ip: client.ip, account: `email:${normaliseEmail(email)}` });
      const user = await users.findByEmail(email);
      if (!user?.active || user.disabled || !user.email) {
        await passwords.verifyDummy(email); // the same work either way, against timing
        return;
      }
      const ticket = await codes.issueTicket(user.id, "reset-password", {
        ttlSeconds: options.ttlSeconds ?? config.auth.ticketExpiresInSeconds,
        format: options.format,
      });
      const hbpPage = config.auth.passwordResetUrl ?? `${config.server.publicUrl}/auth/change-password/change`;
      const link = options.linkFor?.(ticket) ?? withTicket(hbpPage, ticket);
      await mailer.sendPasswordReset({ to: user.email, link, ticket });
    },

    async reset(ticket: string, newPassword: string, client: SessionContext): Promise<void> {
      // Check the new password first, so a refused one does not use the ticket up.
      const accepted = await users.checkPassword(newPassword);
      const { userId } = await guesses.attempt({ ip: client.ip }, () => codes.consumeTicket("reset-password", ticket));
      await users.setPassword(userId, accepted);
      // The ticket came by mail: the address is proven.
      await users.markEmailVerified(userId);
      await sessions.revokeAllForUser(userId);
    },
  };
}

export function withTicket(url: string, ticket: string, parameter = "ticket"): string {
  return `${url}${url.includes("?") ? "&" : "?"}${parameter}=${ticket}`;
}
