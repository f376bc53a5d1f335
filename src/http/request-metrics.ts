// The one request hook for every dialect's metrics (HBP, its storage, Faroe, lncrawl, WolfPal, and the service routes):
// mounted once in src/server.ts, before the dialects, it times each request from its arrival to its answer and hands
// the route's PATTERN (`/storage/o/*`, never the path a client sent: one series per route, not one per file or id),
// the method and the status to an observer (src/metrics.ts counts them). A request no route matched is `unmatched`,
// so a scanner trying a thousand paths adds one series, not a thousand; a method outside the usual ones is `other`.
// Per request: one WeakMap entry and a few counter increments; no query.
import { Elysia } from "elysia";

export interface RequestFacts {
  /** Which API answered, by the mount its route pattern is under (see `dialectOf`). */
  dialect: string;
  /** The route pattern as registered (`/auth/login`, `/storage/o/*`), or `unmatched`. */
  route: string;
  method: string;
  status: number;
}

export interface RequestObserver {
  answered(facts: RequestFacts, seconds: number): void;
  /** An error reached the error hooks (the observer decides what it counts: database errors). */
  failed(error: unknown): void;
}

/** Where each API is mounted: the longest matching prefix names a route's dialect; none matching is `service`. */
export interface DialectMount {
  prefix: string;
  dialect: string;
}

export const UNMATCHED_ROUTE = "unmatched";

/** The methods that are their own label value; any other (a client may send any token) is `other`, one series. */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function dialectOf(route: string, mounts: readonly DialectMount[]): string {
  let found: DialectMount | null = null;
  for (const mount of mounts) {
    const under = route === mount.prefix || route.startsWith(mount.prefix.endsWith("/") ? mount.prefix : `${mount.prefix}/`);
    if (under && (found === null || mount.prefix.length > found.prefix.length)) found = mount;
  }
  return found?.dialect ?? "service";
}

/** Elysia's status as a number, for an answer the wrap did not see (it may hold a name, or nothing for a plain 200). */
function statusOf(status: unknown, answer: unknown): number {
  if (answer instanceof Response) return answer.status;
  if (typeof status === "number") return status;
  return 200;
}

type Handle = (request: Request) => Response | Promise<Response>;

/**
 * Two hooks, as Elysia gives no one hook both facts: a wrap around the app's whole handling times each request and
 * reads the status of the answer that actually goes out (an error mapped by any dialect's handler, a 404 of no
 * route); then the after-response hook, which Elysia runs after the answer is made (setImmediate), adds the route
 * pattern and reports. A request the wrap did not see (none today) is reported from Elysia's own status.
 */
export function requestMetrics(observer: RequestObserver, mounts: readonly DialectMount[]) {
  const answers = new WeakMap<Request, { status: number; seconds: number }>();
  return new Elysia({ name: "request-metrics" })
    .wrap((handle) => async (incoming: Request) => {
      const startedAt = performance.now();
      const answer = await (handle as unknown as Handle)(incoming);
      answers.set(incoming, { status: answer.status, seconds: (performance.now() - startedAt) / 1000 });
      return answer;
    })
    .onError({ as: "global" }, ({ error }) => {
      observer.failed(error);
    })
    .onAfterResponse({ as: "global" }, ({ request, route, set, responseValue }) => {
      const answer = answers.get(request);
      const pattern = route ? route : UNMATCHED_ROUTE;
      const dialect = route ? dialectOf(route, mounts) : "none";
      const status = answer?.status ?? statusOf(set.status, responseValue);
      const method = KNOWN_METHODS.has(request.method) ? request.method : "other";
      observer.answered({ dialect, route: pattern, method, status }, answer?.seconds ?? 0);
    });
}
