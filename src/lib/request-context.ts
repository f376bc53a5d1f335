// The id of the request being handled, for every log line written while it is (src/lib/logger.ts adds it as
// `request_id`): a security event or an error deep in core carries the id the answer's X-Request-Id shows, without
// each service being handed a per-request logger. AsyncLocalStorage follows the request through every await, also
// in the compiled binary (test/logs.test.ts checks a line's id against the answer's header).
import { AsyncLocalStorage } from "node:async_hooks";

const current = new AsyncLocalStorage<string>();

/** Runs `handle(request)` as the request known by `id` (src/http/access-log.ts, around each request). */
export function runAsRequest<A, T>(id: string, handle: (argument: A) => T, argument: A): T {
  return current.run(id, handle, argument);
}

/** The id of the request being handled here; undefined outside one (start-up, timers, the mail worker). */
export function currentRequestId(): string | undefined {
  return current.getStore();
}

/**
 * Runs `start` outside any request: for a timer or a loop that a request only sets going (the mail worker woken by
 * a queued mail) and that outlives it, whose later lines are not that request's.
 */
export function outsideRequests<T>(start: () => T): T {
  return current.exit(start);
}
