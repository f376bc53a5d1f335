// Single-use tickets sent to a user (activation, password reset, email change, the MFA login step ...).
// Issued as uuid v4 (HBP's ticket format) or in a dialect's own format, always with >= 122 random bits; stored as
// SHA-256, consumed by one atomic DELETE so a ticket can never be used twice, even by two requests at once.
import { and, eq, gt } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { Clock } from "../lib/clock.ts";
import { CoreError } from "./errors.ts";
import type { Random } from "../lib/random.ts";
import { sha256Hex } from "../lib/secrets.ts";

export type TicketPurpose = "activate-account" | "reset-password" | "change-email" | "magic-link" | "mfa-login" | "email-otp" | "backup-code";

/** uuids and the dialects' base64url or alphanumeric tokens; anything else cannot be a ticket we issued. */
const TICKET_SHAPE = /^[A-Za-z0-9_-]{16,128}$/;

export interface ConsumedTicket {
  userId: string;
  data: Record<string, unknown>;
}

export type OneTimeCodes = ReturnType<typeof createOneTimeCodes>;

export function createOneTimeCodes(deps: { db: Database; clock: Clock; random: Random }) {
  const { db, clock, random } = deps;
  const { oneTimeCodes } = db.tables;

  return {
    /** A new ticket for `purpose`; earlier tickets of the same user and purpose stop working (HBP keeps one). */
    async issueTicket(
      userId: string,
      purpose: TicketPurpose,
      options: { ttlSeconds: number; data?: Record<string, unknown>; tokenBytes?: number | null },
    ): Promise<string> {
      // A uuid v4 by default (HBP's tickets); a dialect's own tokens are that many random bytes as base64url.
      const ticket = options.tokenBytes == null ? random.uuid() : random.token(options.tokenBytes);
      const now = clock.now();
      await db.delete(oneTimeCodes).where(and(eq(oneTimeCodes.userId, userId), eq(oneTimeCodes.purpose, purpose)));
      await db.insert(oneTimeCodes).values({
        id: random.uuid(),
        userId,
        purpose,
        secretHash: sha256Hex(ticket),
        data: options.data ?? {},
        expiresAt: now + options.ttlSeconds * 1000,
        createdAt: now,
      });
      return ticket;
    },

    /** The ticket's owner and data without using it up (e.g. the MFA step, retried after a mistyped code). */
    async peekTicket(purpose: TicketPurpose, ticket: string): Promise<ConsumedTicket> {
      if (!TICKET_SHAPE.test(ticket)) throw new CoreError("invalid_ticket");
      const [row] = await db
        .select({ userId: oneTimeCodes.userId, data: oneTimeCodes.data })
        .from(oneTimeCodes)
        .where(
          and(
            eq(oneTimeCodes.purpose, purpose),
            eq(oneTimeCodes.secretHash, sha256Hex(ticket)),
            gt(oneTimeCodes.expiresAt, clock.now()),
          ),
        )
        .limit(1);
      if (!row) throw new CoreError("invalid_ticket");
      return row;
    },

    /**
     * Replaces the data of an unexpired ticket found by its digest (the mail worker, which holds only the digest,
     * storing the hash of the code it mails); false when there is no such ticket any more.
     */
    async replaceData(purpose: TicketPurpose, secretHash: string, data: Record<string, unknown>): Promise<boolean> {
      const updated = await db
        .update(oneTimeCodes)
        .set({ data })
        .where(and(eq(oneTimeCodes.purpose, purpose), eq(oneTimeCodes.secretHash, secretHash), gt(oneTimeCodes.expiresAt, clock.now())))
        .returning({ id: oneTimeCodes.id });
      return updated.length > 0;
    },

    /** Uses up a ticket. Unknown, expired, already used or malformed: `invalid_ticket`. */
    async consumeTicket(purpose: TicketPurpose, ticket: string): Promise<ConsumedTicket> {
      if (!TICKET_SHAPE.test(ticket)) throw new CoreError("invalid_ticket");
      const [row] = await db
        .delete(oneTimeCodes)
        .where(
          and(
            eq(oneTimeCodes.purpose, purpose),
            eq(oneTimeCodes.secretHash, sha256Hex(ticket)),
            gt(oneTimeCodes.expiresAt, clock.now()),
          ),
        )
        .returning({ userId: oneTimeCodes.userId, data: oneTimeCodes.data });
      if (!row) throw new CoreError("invalid_ticket");
      return row;
    },
  };
}
