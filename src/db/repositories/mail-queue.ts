// The mail queue's rows (core/mail/queue.ts). Several instances share one database, so a claim is a compare-and-set
// on the row's due time: of two workers that saw the same row due, one update matches and the other finds the time
// already moved (on PostgreSQL the second UPDATE waits for the first and re-reads the row). A claimed row is due again
// when its lease ends, so a mail whose instance died while sending it is sent by another.
import { and, asc, count, eq, isNotNull, isNull, lte, sql } from "drizzle-orm";
import type { Database } from "../database.ts";
import { before, newestFirst, pageOf, type NewestFirstCursor, type NewestFirstPage } from "./newest-first.ts";

/** Rows looked at per claim: more than one, so two workers racing for the first both still find one. */
const CLAIM_CANDIDATES = 8;

/** A mail to queue. */
export interface NewQueuedMail {
  id: string;
  recipient: string;
  /** The template's name; the queue's owner knows which names exist. */
  template: string;
  data: Record<string, unknown>;
  /** When it is first due, epoch ms. */
  dueAt: number;
}

/** A claimed mail as stored. */
export interface ClaimedMailRow {
  id: string;
  template: string;
  recipient: string;
  data: Record<string, unknown>;
  /** Attempts so far, this one included. */
  attempts: number;
}

export interface MailQueueRepository {
  insert(mail: NewQueuedMail): Promise<void>;
  /**
   * Takes one mail due at `now` until `leaseUntil` and counts the attempt; null when none is due. Of several workers
   * (on any instances) that saw the same row due, exactly one gets it.
   */
  claim(times: { now: number; leaseUntil: number }): Promise<ClaimedMailRow | null>;
  /** When the first waiting mail falls due (epoch ms; the end of its lease for one being sent); null with none. */
  nextDue(): Promise<number | null>;
  /** Sent at `sentAt`: never due again, its last error cleared. */
  markSent(id: string, sentAt: number): Promise<void>;
  /** A failed attempt: due again at `retryAt`, or never (given up) with null. */
  markFailed(id: string, error: string, retryAt: number | null): Promise<void>;
  remove(id: string): Promise<void>;
  /** Mails not sent yet and not given up (waiting, being sent or due for a retry): asked once per metrics scrape. */
  countWaiting(): Promise<number>;
  /**
   * The admin console's list: mails in `state`, newest first, `limit` after the cursor. The queue holds the last
   * week's mails at most (housekeeping), so this reads few rows.
   */
  page(state: MailState, cursor: NewestFirstCursor | null, limit: number): Promise<NewestFirstPage<ListedMail>>;
  /** A mail given up (failed, never sent) due again at `now` with a fresh count of attempts; false for any other. */
  retry(id: string, now: number): Promise<boolean>;
}

/** Waiting (to be sent, being sent or due for a retry), failed (given up after its last attempt), or sent. */
export type MailState = "waiting" | "failed" | "sent";

/** A queued mail as the console lists it: no data (a link's prefix and lifetime, nothing that grants access). */
export interface ListedMail {
  id: string;
  /** When it was queued. */
  at: number;
  recipient: string;
  template: string;
  attempts: number;
  nextAttemptAt: number | null;
  /** The mail server's answer to the last attempt that failed. */
  lastError: string | null;
  sentAt: number | null;
}

export function createMailQueueRepository(db: Database): MailQueueRepository {
  const { mailQueue } = db.tables;

  return {
    async insert({ id, recipient, template, data, dueAt }) {
      await db.insert(mailQueue).values({ id, recipient, template, data, nextAttemptAt: dueAt });
    },

    async claim({ now, leaseUntil }) {
      const due = await db
        .select({ id: mailQueue.id, nextAttemptAt: mailQueue.nextAttemptAt })
        .from(mailQueue)
        .where(lte(mailQueue.nextAttemptAt, now))
        .orderBy(asc(mailQueue.nextAttemptAt))
        .limit(CLAIM_CANDIDATES);
      for (const candidate of due) {
        const [claimed] = await db
          .update(mailQueue)
          .set({ attempts: sql`${mailQueue.attempts} + 1`, nextAttemptAt: leaseUntil })
          .where(and(eq(mailQueue.id, candidate.id), eq(mailQueue.nextAttemptAt, candidate.nextAttemptAt!)))
          .returning({
            id: mailQueue.id,
            template: mailQueue.template,
            recipient: mailQueue.recipient,
            data: mailQueue.data,
            attempts: mailQueue.attempts,
          });
        if (claimed) return claimed;
      }
      return null;
    },

    async nextDue() {
      const [first] = await db
        .select({ at: mailQueue.nextAttemptAt })
        .from(mailQueue)
        .where(isNotNull(mailQueue.nextAttemptAt))
        .orderBy(asc(mailQueue.nextAttemptAt))
        .limit(1);
      return first?.at ?? null;
    },

    async markSent(id, sentAt) {
      await db.update(mailQueue).set({ sentAt, nextAttemptAt: null, lastError: null }).where(eq(mailQueue.id, id));
    },

    async markFailed(id, error, retryAt) {
      await db.update(mailQueue).set({ lastError: error, nextAttemptAt: retryAt }).where(eq(mailQueue.id, id));
    },

    async remove(id) {
      await db.delete(mailQueue).where(eq(mailQueue.id, id));
    },

    async countWaiting() {
      const [row] = await db.select({ waiting: count() }).from(mailQueue).where(isNotNull(mailQueue.nextAttemptAt));
      return Number(row?.waiting ?? 0);
    },

    async page(state, cursor, limit) {
      const inState =
        state === "waiting"
          ? isNotNull(mailQueue.nextAttemptAt)
          : state === "failed"
            ? and(isNull(mailQueue.nextAttemptAt), isNull(mailQueue.sentAt))
            : isNotNull(mailQueue.sentAt);
      const rows = await db
        .select({
          id: mailQueue.id,
          at: mailQueue.createdAt,
          recipient: mailQueue.recipient,
          template: mailQueue.template,
          attempts: mailQueue.attempts,
          nextAttemptAt: mailQueue.nextAttemptAt,
          lastError: mailQueue.lastError,
          sentAt: mailQueue.sentAt,
        })
        .from(mailQueue)
        .where(and(inState, before(mailQueue.createdAt, mailQueue.id, cursor)))
        .orderBy(...newestFirst(mailQueue.createdAt, mailQueue.id))
        .limit(limit + 1);
      return pageOf(rows, limit);
    },

    async retry(id, now) {
      const retried = await db
        .update(mailQueue)
        .set({ nextAttemptAt: now, attempts: 0 })
        .where(and(eq(mailQueue.id, id), isNull(mailQueue.nextAttemptAt), isNull(mailQueue.sentAt)))
        .returning({ id: mailQueue.id });
      return retried.length > 0;
    },
  };
}
