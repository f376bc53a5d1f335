// The mail queue as the tests see it: mails are sent by a background worker after the answer that queued them.
import { queryDatabase } from "./backend.ts";

/**
 * Waits (up to 10 s) until the worker has dealt with every mail queued for `recipient`: sent, given up, or dropped
 * because the address has no account that may get it (its row is then gone). Then "no mail arrived" means none will.
 */
export async function untilMailDealtWith(dataDir: string, recipient: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const waiting = await queryDatabase(dataDir, "select id from mail_queue where recipient = ? and next_attempt_at is not null", [recipient]);
    if (waiting.length === 0) return;
    if (Date.now() > deadline) throw new Error(`mails to ${recipient} still queued after 10 s`);
    await Bun.sleep(20);
  }
}
