// The mail queue as the tests see it: mails are sent by a background worker after the answer that queued them.
import { queryDatabase } from "./backend.ts";
import { eventually } from "./eventually.ts";

/**
 * Waits (up to 10 s) until the worker has dealt with every mail queued for `recipient`: sent, given up, or dropped
 * because the address has no account that may get it (its row is then gone). Then "no mail arrived" means none will.
 */
export async function untilMailDealtWith(dataDir: string, recipient: string): Promise<void> {
  const waiting = () => queryDatabase(dataDir, "select id from mail_queue where recipient = ? and next_attempt_at is not null", [recipient]);
  await eventually(async () => (await waiting()).length === 0, { what: `mails to ${recipient} dealt with` });
}
