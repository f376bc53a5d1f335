// The mail queue in the database (db/repositories/mail-queue.ts): routes add intents (core/mail/intents.ts), the
// worker (core/mail/worker.ts) claims due rows and sends them. Several instances share one database: a claim is a
// compare-and-set, so of two workers that saw the same mail due only one sends it, and a claimed mail is due again
// when its lease ends, so a mail whose instance died while sending it is sent by another.
import type { MailQueueRepository } from "../../db/repositories/mail-queue.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Random } from "../../lib/random.ts";
import type { MailIntents } from "./intents.ts";
import type { TemplateName } from "./templates.ts";

export interface QueuedMail {
  id: string;
  template: TemplateName;
  recipient: string;
  data: Record<string, unknown>;
  /** Attempts so far, this one included. */
  attempts: number;
}

export interface MailQueue {
  /**
   * Queues a mail; due at once. One insert, whatever the address (see intents.ts). With EMAILS_ENABLED=false
   * nothing is queued, for every address alike: the routes answer as they would, and no mail leaves.
   */
  enqueue<K extends TemplateName>(template: K, to: string, data: MailIntents[K]): Promise<void>;
  /** `listener` runs after each enqueue (the worker: to send at once rather than at its next poll). */
  onEnqueue(listener: () => void): void;
  /** Takes one due mail for `leaseMs` and counts the attempt; null when none is due. One worker gets each claim. */
  claim(leaseMs: number): Promise<QueuedMail | null>;
  /** When the first waiting mail falls due (epoch ms; the end of its lease for one being sent); null with none. */
  nextDue(): Promise<number | null>;
  markSent(id: string): Promise<void>;
  /** A failed attempt: due again at `retryAt`, or never (given up) with null. */
  markFailed(id: string, error: string, retryAt: number | null): Promise<void>;
  /** An intent with nothing to send (no such account, or one that must not get it): nothing is kept of it. */
  discard(id: string): Promise<void>;
  /** A mail given up, due again now with a fresh count of attempts (the console's retry); false for any other. */
  retry(id: string): Promise<boolean>;
}

export function createMailQueue(deps: { mails: MailQueueRepository; clock: Clock; random: Random; enabled: boolean }): MailQueue {
  const { mails, clock, random, enabled } = deps;
  const listeners = new Set<() => void>();

  return {
    async enqueue(template, to, data) {
      if (!enabled) return;
      await mails.insert({ id: random.uuid(), recipient: to, template, data, dueAt: clock.now() });
      for (const listener of listeners) listener();
    },

    onEnqueue(listener) {
      listeners.add(listener);
    },

    async claim(leaseMs) {
      const now = clock.now();
      const claimed = await mails.claim({ now, leaseUntil: now + leaseMs });
      return claimed === null ? null : { ...claimed, template: claimed.template as TemplateName };
    },

    nextDue: () => mails.nextDue(),

    markSent: (id) => mails.markSent(id, clock.now()),

    markFailed: (id, error, retryAt) => mails.markFailed(id, error, retryAt),

    discard: (id) => mails.remove(id),

    async retry(id) {
      const retried = await mails.retry(id, clock.now());
      if (retried) for (const listener of listeners) listener();
      return retried;
    },
  };
}
