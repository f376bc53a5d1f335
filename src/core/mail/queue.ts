// The mail queue in the database (table mail_queue): routes add intents (core/mail/intents.ts), the worker
// (core/mail/worker.ts) claims due rows and sends them. Several instances share one database, so a claim is a
// compare-and-set on the row's due time: of two workers that saw the same row due, one update matches and the other
// finds the time already moved (on PostgreSQL the second UPDATE waits for the first and re-reads the row). A claimed
// row is due again when its lease ends, so a mail whose instance died while sending it is sent by another.
import { and, asc, eq, isNotNull, lte, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Random } from "../../lib/random.ts";
import type { MailIntents } from "./intents.ts";
import type { TemplateName } from "./templates.ts";

/** Rows looked at per claim: more than one, so two workers racing for the first both still find one. */
const CLAIM_CANDIDATES = 8;

export interface QueuedMail {
  id: string;
  template: TemplateName;
  recipient: string;
  data: Record<string, unknown>;
  /** Attempts so far, this one included. */
  attempts: number;
}

export type MailQueue = ReturnType<typeof createMailQueue>;

export function createMailQueue(deps: { db: Database; clock: Clock; random: Random; enabled: boolean }) {
  const { db, clock, random, enabled } = deps;
  const { mailQueue } = db.tables;
  const listeners = new Set<() => void>();

  return {
    /**
     * Queues a mail; due at once. One insert, whatever the address (see intents.ts). With EMAILS_ENABLED=false
     * nothing is queued, for every address alike: the routes answer as they would, and no mail leaves.
     */
    async enqueue<K extends TemplateName>(template: K, to: string, data: MailIntents[K]): Promise<void> {
      if (!enabled) return;
      await db.insert(mailQueue).values({ id: random.uuid(), recipient: to, template, data, nextAttemptAt: clock.now() });
      for (const listener of listeners) listener();
    },

    /** `listener` runs after each enqueue (the worker: to send at once rather than at its next poll). */
    onEnqueue(listener: () => void): void {
      listeners.add(listener);
    },

    /** Takes one due mail for `leaseMs` and counts the attempt; null when none is due. */
    async claim(leaseMs: number): Promise<QueuedMail | null> {
      const now = clock.now();
      const due = await db
        .select({ id: mailQueue.id, nextAttemptAt: mailQueue.nextAttemptAt })
        .from(mailQueue)
        .where(lte(mailQueue.nextAttemptAt, now))
        .orderBy(asc(mailQueue.nextAttemptAt))
        .limit(CLAIM_CANDIDATES);
      for (const candidate of due) {
        const [claimed] = await db
          .update(mailQueue)
          .set({ attempts: sql`${mailQueue.attempts} + 1`, nextAttemptAt: now + leaseMs })
          .where(and(eq(mailQueue.id, candidate.id), eq(mailQueue.nextAttemptAt, candidate.nextAttemptAt!)))
          .returning({
            id: mailQueue.id,
            template: mailQueue.template,
            recipient: mailQueue.recipient,
            data: mailQueue.data,
            attempts: mailQueue.attempts,
          });
        if (claimed) return { ...claimed, template: claimed.template as TemplateName };
      }
      return null;
    },

    /** When the first waiting mail falls due (epoch ms; the end of its lease for one being sent); null with none. */
    async nextDue(): Promise<number | null> {
      const [first] = await db
        .select({ at: mailQueue.nextAttemptAt })
        .from(mailQueue)
        .where(isNotNull(mailQueue.nextAttemptAt))
        .orderBy(asc(mailQueue.nextAttemptAt))
        .limit(1);
      return first?.at ?? null;
    },

    async markSent(id: string): Promise<void> {
      await db.update(mailQueue).set({ sentAt: clock.now(), nextAttemptAt: null, lastError: null }).where(eq(mailQueue.id, id));
    },

    /** A failed attempt: due again at `retryAt`, or never (given up) with null. */
    async markFailed(id: string, error: string, retryAt: number | null): Promise<void> {
      await db.update(mailQueue).set({ lastError: error, nextAttemptAt: retryAt }).where(eq(mailQueue.id, id));
    },

    /** An intent with nothing to send (no such account, or one that must not get it): nothing is kept of it. */
    async discard(id: string): Promise<void> {
      await db.delete(mailQueue).where(eq(mailQueue.id, id));
    },
  };
}
