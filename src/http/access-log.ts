// With LOG_REQUESTS, one access line per request, for every dialect and for paths no route answers; and always the
// request's id on every answer. Mounted once, at the root app (src/server.ts), around everything else:
//   INFO request method=POST route=/auth/login status=200 duration_ms=12.3 bytes=512 ip=203.0.113.7 request_id=...
// The route is the PATTERN a route was registered with (`/storage/o/*`, `/faroe/users/:user_id`), `-` when no route
// matched: never the raw path or its query, which carry tickets (`/auth/activate?ticket=`), WolfPal's tokens
// (`/user/activate-account/<token>`) and whatever a client typed. Nothing else of the request is written: no header,
// no body, so no token, ticket, password or query secret can reach the line.
//
// X-Request-Id: a client's (or a proxy's) id is kept when it is a sane one (1 to 128 of [A-Za-z0-9._:-], so it
// cannot forge fields or lines), otherwise a UUID is made; the answer echoes it either way.
import { Elysia } from "elysia";
import type { Logger } from "../lib/logger.ts";
import { runAsRequest } from "../lib/request-context.ts";

export const REQUEST_ID_HEADER = "x-request-id";
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id a request is known by: the client's when it is sane, else a new UUID. */
export function requestIdFor(header: string | null): string {
  return header !== null && SANE_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

export interface AccessLogOptions {
  logger: Logger;
  /**
   * LOG_REQUESTS: whether each request gets its line. Off by default: a line written as the answer goes costs more
   * than a small request itself (bench/README.md), and a reverse proxy in front usually keeps an access log already.
   * The request id is made and echoed either way.
   */
  lines: boolean;
  /** The client's address, as the rate limits see it (TRUSTED_PROXIES applied). */
  clientIp(request: Request): string | null;
}

type Handle = (request: Request) => Response | Promise<Response>;

/** An answer carrying `id` in X-Request-Id (copied when its headers cannot be changed, as a redirect's). */
function withRequestId(response: Response, id: string): Response {
  try {
    response.headers.set(REQUEST_ID_HEADER, id);
    return response;
  } catch {
    const headers = new Headers(response.headers);
    headers.set(REQUEST_ID_HEADER, id);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}

/** Answers made whole in memory by the handlers (JSON, text, the docs page): measured when they state no size. */
const MADE_IN_MEMORY = /^(?:application\/json|text\/)/;

/**
 * The answer's size in bytes: its Content-Length (files and image variants state one); for an answer made in memory,
 * a copy's length (a few microseconds; Bun still sends it with its Content-Length); null for a stream without one
 * (a folder's zip), which is not read twice.
 */
async function bytesOf(response: Response): Promise<number | null> {
  const length = response.headers.get("content-length");
  if (length !== null && /^\d+$/.test(length)) return Number(length);
  if (response.body === null) return 0;
  if (!MADE_IN_MEMORY.test(response.headers.get("content-type") ?? "")) return null;
  return (await response.clone().arrayBuffer()).byteLength;
}

/** The plugin: mount it on the root app before any route, so every route records its pattern. */
export function accessLog(options: AccessLogOptions) {
  const { logger, clientIp, lines } = options;
  if (!lines) {
    // No access line; the id is still echoed, and carried by every line logged while the request is handled.
    // Not an async function: an answer made at once (/healthz) goes back as it is, where an async wrapper made every
    // answer a promise for Bun to wait on (bench/README.md, "Hot path").
    return new Elysia({ name: "access-log" }).wrap((next) => (request: Request): Response | Promise<Response> => {
      const id = requestIdFor(request.headers.get(REQUEST_ID_HEADER));
      const answer = runAsRequest(id, next as unknown as Handle, request);
      return answer instanceof Promise ? answer.then((response) => withRequestId(response, id)) : withRequestId(answer, id);
    });
  }
  // The matched route's pattern, by request: Elysia knows it inside the route, the wrap below only sees the answer.
  const patterns = new WeakMap<Request, string>();
  return new Elysia({ name: "access-log" })
    .onTransform({ as: "global" }, ({ request, route }) => {
      patterns.set(request, route);
    })
    .wrap((next) => async (request: Request): Promise<Response> => {
      const id = requestIdFor(request.headers.get(REQUEST_ID_HEADER));
      // Every line logged while the request is handled (a security event, an error) carries its id as well.
      const handle = (request: Request) => runAsRequest(id, next as unknown as Handle, request);
      // LOG_LEVEL=warn or error: the id is still echoed, the line (its size, its client IP) not worked out.
      if (logger.isEnabled?.("info") === false) return withRequestId(await handle(request), id);
      const startedAt = performance.now();
      let status = 500;
      let bytes: number | null = null;
      try {
        const response = withRequestId(await handle(request), id);
        status = response.status;
        bytes = await bytesOf(response);
        return response;
      } finally {
        logger.info("request", {
          method: request.method,
          route: patterns.get(request) ?? "-",
          status,
          duration_ms: Math.round((performance.now() - startedAt) * 10) / 10,
          bytes,
          ip: clientIp(request) ?? "-",
          request_id: id,
        });
      }
    });
}
