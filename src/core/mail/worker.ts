// Sends the queued mails (core/mail/queue.ts) in the background of the server process, so no route waits on a mail
// server: a slow, refusing or unreachable one delays mails, never answers. Nudged by every enqueue, and polling for
// rows that fall due (retries, mails of an instance that stopped). A failed attempt is retried after
// MAIL_RETRY_DELAY_SECONDS, doubled after each further failure, up to MAIL_MAX_ATTEMPTS attempts; the row keeps the
// mail server's last answer (never the mail) in last_error.
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/logger.ts";
import { outsideRequests } from "../../lib/request-context.ts";
import type { Composers, MailContent } from "./intents.ts";
import type { Mailer } from "./mailer.ts";
import type { MailQueue, QueuedMail } from "./queue.ts";
import type { Observations } from "../observations.ts";

/** For mails another instance queued or left due: every instance looks this often. */
const POLL_INTERVAL_MS = 5_000;
/** The soonest a worker looks again for due mails after it found none it could take. */
const DUE_CHECK_MS = 50;
/**
 * How long a claimed mail is this worker's: longer than the SMTP timeouts (core/mail/transport.ts) allow a send to
 * take, so another instance sends it again only when this one stopped while sending it.
 */
const LEASE_MS = 10 * 60_000;
/** Mails sent at once: one mail server that holds a delivery does not hold up the others. */
const CONCURRENCY = 4;
/** The longest wait between two attempts, however many failed before. */
const MAX_RETRY_DELAY_MS = 6 * 60 * 60_000;
/** How long a shutdown waits for the mails being sent; one still going is sent again once its lease ends. */
const STOP_WAIT_MS = 5_000;
/** A mail server's answer is a line or two; a longer error is cut here. */
const MAX_ERROR_LENGTH = 500;

export interface MailWorkerSettings {
  maxAttempts: number;
  retryDelaySeconds: number;
}

export interface MailWorker {
  start(): void;
  /** Stops claiming mails and waits (a little) for those being sent. */
  stop(): Promise<void>;
}

export function createMailWorker(deps: {
  queue: MailQueue;
  composers: Composers;
  mailer: Mailer;
  clock: Clock;
  logger: Logger;
  settings: MailWorkerSettings;
  observations: Pick<Observations, "mailSent" | "mailFailed">;
}): MailWorker {
  const { queue, composers, mailer, clock, logger, settings, observations } = deps;
  const sending = new Set<Promise<void>>();
  let started = false;
  let stopped = false;
  let claiming = false;
  let claimAgain = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let timerDueAt = Infinity;

  /** Runs `claimDue` in `delayMs` (0: on the next turn of the event loop, after the answer that queued the mail). */
  function wake(delayMs: number): void {
    if (!started || stopped) return;
    const dueAt = Date.now() + delayMs;
    if (timer !== null && timerDueAt <= dueAt) return;
    if (timer !== null) clearTimeout(timer);
    timerDueAt = dueAt;
    // Outside the request that queued the mail, if any: the worker's lines from then on are not that request's.
    timer = outsideRequests(() =>
      setTimeout(() => {
        timer = null;
        timerDueAt = Infinity;
        void claimDue();
      }, delayMs),
    );
    timer.unref?.();
  }

  async function claimDue(): Promise<void> {
    if (claiming) {
      claimAgain = true;
      return;
    }
    claiming = true;
    try {
      do {
        claimAgain = false;
        while (!stopped && sending.size < CONCURRENCY) {
          const mail = await queue.claim(LEASE_MS);
          if (!mail) break;
          const job: Promise<void> = send(mail).finally(() => {
            sending.delete(job);
            wake(0);
          });
          sending.add(job);
        }
      } while (claimAgain && !stopped);
      // Asleep until the first waiting mail falls due (a retry), or the next poll, whichever comes first. With every
      // slot busy, the next mail to finish wakes it. Never sooner than DUE_CHECK_MS: a row due but not claimable
      // (another instance took it meanwhile) must not make this a busy loop.
      if (sending.size < CONCURRENCY) {
        const due = await queue.nextDue();
        wake(due === null ? POLL_INTERVAL_MS : Math.max(DUE_CHECK_MS, Math.min(POLL_INTERVAL_MS, due - clock.now())));
      }
    } catch (error) {
      if (!stopped) logger.error("mail queue could not be read", { error });
      wake(POLL_INTERVAL_MS);
    } finally {
      claiming = false;
    }
  }

  async function send(mail: QueuedMail): Promise<void> {
    const about = { template: mail.template, to: mail.recipient, attempt: mail.attempts };
    try {
      const compose = composers[mail.template] as ((to: string, data: unknown) => Promise<MailContent | null>) | undefined;
      if (!compose) throw new Error(`no such mail template: ${mail.template}`);
      const content = await compose(mail.recipient, mail.data);
      if (content === null) await queue.discard(mail.id);
      else {
        await mailer.send(mail.template, content);
        observations.mailSent();
        await queue.markSent(mail.id);
      }
    } catch (error) {
      if (stopped) return; // the database may be closed; the lease hands the mail to the next start
      const reason = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_LENGTH);
      const retry = mail.attempts < settings.maxAttempts;
      observations.mailFailed({ gaveUp: !retry });
      const delayMs = Math.min(settings.retryDelaySeconds * 1000 * 2 ** (mail.attempts - 1), MAX_RETRY_DELAY_MS);
      try {
        await queue.markFailed(mail.id, reason, retry ? clock.now() + delayMs : null);
      } catch (writeError) {
        logger.error("mail queue could not be updated", { ...about, error: writeError });
      }
      if (retry) {
        logger.warn("mail not sent; will retry", { ...about, retry_in_seconds: delayMs / 1000, error: reason });
      } else {
        logger.error("mail not sent; given up", { ...about, error: reason });
      }
    }
  }

  return {
    start() {
      if (started) return;
      started = true;
      queue.onEnqueue(() => wake(0));
      wake(0); // what was due before this start
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      let waited: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...sending]),
        new Promise<void>((resolve) => (waited = setTimeout(resolve, STOP_WAIT_MS))),
      ]);
      clearTimeout(waited);
      mailer.close();
    },
  };
}
