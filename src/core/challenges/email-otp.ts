// Proving an address with a 6-digit code by mail (lncrawl's /me/send-otp and /verify-otp). The code is 20 bits, so
// it is stored as argon2id and every check is rate limited per user; the ticket that names it expires in 5 minutes.
// The mail is queued with the ticket's digest only: the worker draws the code as it sends it and stores its hash on
// the ticket, so the code exists nowhere but in the mail (a newer mail's code replaces an older one's).
import { randomDigits } from "../../lib/ids.ts";
import type { Random } from "../../lib/random.ts";
import { CoreError } from "../errors.ts";
import type { Guesses } from "../throttling/guesses.ts";
import type { Composer } from "../mail/intents.ts";
import type { MailQueue } from "../mail/queue.ts";
import type { Challenges } from "./challenges.ts";
import type { PasswordHasher } from "../passwords/passwords.ts";
import { sha256Hex } from "../../lib/secrets.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import type { Users } from "../accounts/users.ts";

const TTL_SECONDS = 5 * 60;

/** Verifying an account's address with a 6-digit code mailed to it, presented with the ticket `send` returns. */
export interface EmailOtp {
  /**
   * Queues a code for the user's address (template `email-otp`); returns the ticket to present it with (valid 5
   * minutes; a new one replaces the last). `user_not_found` (also for an account without an address),
   * `email_already_verified`, `rate_limited` (per IP, and 5 mails an account a window).
   */
  send(userId: string, client: SessionContext): Promise<string>;
  /**
   * The mail worker's half of send: draws the code and stores its hash on the ticket; null (nothing sent) once the
   * ticket expired or was replaced.
   */
  composeCodeMail: Composer<"email-otp">;
  /**
   * Checks the code; on success the ticket is used up and the address the code went to is verified.
   * `invalid_ticket` (unknown or expired ticket, or the address changed since the code was sent), `invalid_otp`
   * (a wrong guess, 5 an account a window from all IPs: a 6-digit code), `rate_limited`.
   */
  verify(ticket: string, code: string, client: SessionContext): Promise<void>;
}

export function createEmailOtp(deps: {
  users: Users;
  challenges: Challenges;
  mailQueue: MailQueue;
  passwords: PasswordHasher;
  guesses: Guesses;
  random: Random;
}): EmailOtp {
  const { users, challenges, mailQueue, passwords, guesses, random } = deps;

  const composeCodeMail: Composer<"email-otp"> = async (to, { ticketDigest }) => {
    const code = randomDigits(random, 6);
    const stored = await challenges.replaceTicketData("email-otp", ticketDigest, { email: to, codeHash: await passwords.hash(code) });
    return stored ? { to, variables: { code } } : null;
  };

  return {
    async send(userId, client) {
      const user = await users.findById(userId);
      if (!user?.email) throw new CoreError("user_not_found");
      if (user.emailVerified) throw new CoreError("email_already_verified");
      await guesses.throttle("otp-mail", { ip: client.ip, account: `user:${userId}` });
      const ticket = await challenges.issueTicket(userId, "email-otp", { ttlSeconds: TTL_SECONDS, data: { email: user.email } });
      await mailQueue.enqueue("email-otp", user.email, { ticketDigest: sha256Hex(ticket) });
      return ticket;
    },

    composeCodeMail,

    async verify(ticket, code, client) {
      const { userId, data } = await guesses.attempt({ ip: client.ip }, () => challenges.peekTicket("email-otp", ticket));
      await guesses.attempt({ ip: client.ip, account: `user:${userId}`, secondFactor: true }, async () => {
        const ok = typeof data.codeHash === "string" && /^\d{6}$/.test(code) && (await passwords.verify(code, data.codeHash));
        if (!ok) throw new CoreError("invalid_otp");
      });
      await challenges.consumeTicket("email-otp", ticket);
      const user = await users.findById(userId);
      // The address changed since the code was sent: the code proved the old one.
      if (user?.email !== data.email) throw new CoreError("invalid_ticket");
      await users.markEmailVerified(userId);
    },
  };
}
