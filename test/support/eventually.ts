// Waiting for what a server does after its answer (a background worker's row, a mail file, a staged upload removed,
// a page checkpointed): the tests poll for the state instead of sleeping for a guessed time.

export interface EventuallyOptions {
  /** What is waited for, for the error: "mails to a@example.com dealt with". */
  what: string;
  /** 10 s by default: far more than any of these takes on a quiet machine, enough on a busy one. */
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * The first result of `probe` that is neither undefined, null nor false, asked every `intervalMs` (20 ms); fails,
 * naming `what`, after `timeoutMs`. An error thrown by `probe` fails it at once.
 */
export async function eventually<T>(probe: () => T | Promise<T>, options: EventuallyOptions): Promise<Exclude<T, undefined | null | false>> {
  const { what, timeoutMs = 10_000, intervalMs = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result !== undefined && result !== null && result !== false) return result as Exclude<T, undefined | null | false>;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await Bun.sleep(intervalMs);
  }
}
