// The mail queue's repository (src/db/repositories/mail-queue.ts) on each engine, by its methods: part of the
// database conformance suite (database-conformance.ts), which runs it on SQLite and PostgreSQL.
import { describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/client.ts";
import { createMailQueueRepository, type NewQueuedMail } from "../../src/db/repositories/mail-queue.ts";

function mail(id: string, dueAt: number): NewQueuedMail {
  return { id, recipient: `${id}@example.com`, template: "email-otp", data: { code: id, nested: { n: 1 } }, dueAt };
}

/** The cases; `migrated` opens an empty, migrated database (closed by the suite after each case). */
export function mailQueueRepositoryConformance(migrated: () => Promise<Database>): void {
  describe("mail queue repository", () => {
    test("claim: a due mail with its data and attempts counted; none before it is due; due again when its lease ends", async () => {
      const mails = createMailQueueRepository(await migrated());
      const now = Date.now();
      await mails.insert(mail("m1", now + 1_000));
      expect(await mails.claim({ now, leaseUntil: now + 60_000 })).toBeNull();
      expect(await mails.nextDue()).toBe(now + 1_000);

      const claimed = await mails.claim({ now: now + 1_000, leaseUntil: now + 61_000 });
      expect(claimed).toStrictEqual({ id: "m1", template: "email-otp", recipient: "m1@example.com", data: { code: "m1", nested: { n: 1 } }, attempts: 1 });
      expect(await mails.nextDue()).toBe(now + 61_000);
      expect(await mails.claim({ now: now + 60_999, leaseUntil: now + 120_000 })).toBeNull();
      expect(await mails.claim({ now: now + 61_000, leaseUntil: now + 121_000 })).toMatchObject({ id: "m1", attempts: 2 });
    });

    test("two workers claiming the same due mail at the same moment: one wins", async () => {
      const db = await migrated();
      const [first, second] = [createMailQueueRepository(db), createMailQueueRepository(db)];
      const now = Date.now();
      await first.insert(mail("m1", now));
      const claims = await Promise.all([first.claim({ now, leaseUntil: now + 60_000 }), second.claim({ now, leaseUntil: now + 60_000 })]);
      expect(claims.filter((claim) => claim !== null).map((claim) => claim!.id)).toEqual(["m1"]);
    });

    test("10 workers racing for 3 due mails: each mail is claimed once, and every worker that could get one did", async () => {
      const db = await migrated();
      const mails = createMailQueueRepository(db);
      const now = Date.now();
      for (const id of ["m1", "m2", "m3"]) await mails.insert(mail(id, now - 10));
      const claims = await Promise.all(Array.from({ length: 10 }, () => createMailQueueRepository(db).claim({ now, leaseUntil: now + 60_000 })));
      const ids = claims.flatMap((claim) => (claim === null ? [] : [claim.id]));
      expect(ids.toSorted()).toEqual(["m1", "m2", "m3"]);
    });

    test("markSent and markFailed(null) leave a mail never due; markFailed(at) makes it due at `at`; remove deletes it", async () => {
      const db = await migrated();
      const mails = createMailQueueRepository(db);
      const now = Date.now();
      for (const id of ["m1", "m2", "m3"]) await mails.insert(mail(id, now));
      await mails.markFailed("m1", "550 no such mailbox", now + 5_000);
      await mails.markFailed("m2", "550 no such mailbox", null);
      await mails.markSent("m3", now);
      expect(await mails.nextDue()).toBe(now + 5_000);
      // Only m1 still waits (for its retry): a sent mail and one given up are not in the queue's depth.
      expect(await mails.countWaiting()).toBe(1);
      const rows = await db.select().from(db.tables.mailQueue).orderBy(db.tables.mailQueue.id);
      expect(rows.map(({ id, lastError, nextAttemptAt, sentAt }) => ({ id, lastError, nextAttemptAt, sentAt }))).toEqual([
        { id: "m1", lastError: "550 no such mailbox", nextAttemptAt: now + 5_000, sentAt: null },
        { id: "m2", lastError: "550 no such mailbox", nextAttemptAt: null, sentAt: null },
        { id: "m3", lastError: null, nextAttemptAt: null, sentAt: now },
      ]);
      await mails.remove("m1");
      expect(await mails.nextDue()).toBeNull();
      expect(await mails.claim({ now: now + 10_000, leaseUntil: now + 70_000 })).toBeNull();
    });
  });
}
