// With LOG_REQUESTS, one access line per request, for every dialect and for paths no route answers; and always the
// request's id on every answer. Mounted once, at the root app (src/server.ts), around everything else:
//   INFO request method=POST route=/auth/login status=200 duration_ms=12.3 bytes=512 ip=203.0.113.7 request_id=...
// The route is the PATTERN a route was registered with (`/storage/o/*`, `/faroe/users/:user_id`), `-` when no route
// matched: never the raw path or its query, which carry tickets (`/auth/activate?ticket=`), WolfPal's tokens
// (`/user/activate-account/<token>`) and whatever a client typed. Nothing else of the request is written: no header,
// no body, so no token, ticket, password or query secret can reach the line.
//
// X-Request-Id: a client's (or a proxy's) id is kept when it is a sane one (1 to 128 of [A-Za-z0-9._:-], so it
// cannot forge fields or lines), otherwise a UUID is made; the answer echoes it either way. The wrap that echoes it
// also sets the headers every answer gets from the edge (CORS, src/cors.ts): one pass over the answer, where a
// mapResponse hook was compiled into every route's handler.
import { Elysia } from "elysia";
import type { Logger } from "../lib/logger.ts";
import { runAsRequest } from "../lib/request-context.ts";
import { answerAfterBody } from "./unread-body.ts";

export const REQUEST_ID_HEADER = "x-request-id";
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Ids made from one random UUID: its last 8 hex digits count from 10000000 to ffffffff (always 8 digits). */
const FIRST_COUNT = 0x10000000;
const END_COUNT = 0x100000000;

/**
 * Ids for requests that bring none, shaped as before (a version 4 UUID): a random UUID's first 28 characters, then a
 * counter in the last 8 hex digits. As unique as a random UUID per request (90 random bits a process, drawn again
 * every 3.75 billion ids) and cheaper: no random bytes and no formatting but a hexadecimal number per request. Not secret, so a counter is fine: an
 * id grants nothing, it only names an answer's log lines.
 */
export function requestIds(randomUuid: () => string = () => crypto.randomUUID()): () => string {
  let prefix = "";
  let count = END_COUNT;
  return () => {
    if (count === END_COUNT) {
      prefix = randomUuid().slice(0, 28);
      count = FIRST_COUNT;
    }
    return prefix + (count++).toString(16);
  };
}

/** The id a request is known by: the client's when it is sane, else `made()`'s (a new UUID-shaped id). */
export function requestIdFor(header: string | null, made: () => string): string {
  return header !== null && SANE_REQUEST_ID.test(header) ? header : made();
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
  /**
   * Adds the headers an answer gets for its request beside X-Request-Id (CORS's, src/cors.ts), on every answer,
   * errors and unknown paths included.
   */
  answerHeaders(request: Request, headers: Headers): void;
}

type Handle = (request: Request) => Response | Promise<Response>;

type AnswerHeaders = AccessLogOptions["answerHeaders"];

/**
 * An answer carrying `id` in X-Request-Id and the edge's headers for `request` (copied when its headers cannot be
 * changed, as a redirect's).
 */
function stamped(response: Response, id: string, request: Request, answerHeaders: AnswerHeaders): Response {
  try {
    const headers = response.headers;
    headers.set(REQUEST_ID_HEADER, id);
    answerHeaders(request, headers);
    return response;
  } catch {
    const headers = new Headers(response.headers);
    headers.set(REQUEST_ID_HEADER, id);
    answerHeaders(request, headers);
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
  const { logger, clientIp, lines, answerHeaders } = options;
  const newId = requestIds();
  if (!lines) {
    // No access line; the id is still echoed, and carried by every line logged while the request is handled.
    // Not an async function: an answer made at once (/healthz) goes back as it is, where an async wrapper made every
    // answer a promise for Bun to wait on (bench/README.md, "Hot path").
    return new Elysia({ name: "access-log" }).wrap((next) => (request: Request): Response | Promise<Response> => {
      const id = requestIdFor(request.headers.get(REQUEST_ID_HEADER), newId);
      const answer = runAsRequest(id, next as unknown as Handle, request);
      return answer instanceof Promise
        ? answer.then((response) => stamped(response, id, request, answerHeaders))
        : stamped(answer, id, request, answerHeaders);
    });
  }
  // The matched route's pattern, by request: Elysia knows it inside the route, the wrap below only sees the answer.
  const patterns = new WeakMap<Request, string>();
  return new Elysia({ name: "access-log" })
    .onTransform({ as: "global" }, ({ request, route }) => {
      patterns.set(request, route);
    })
    .wrap((next) => async (request: Request): Promise<Response> => {
      const id = requestIdFor(request.headers.get(REQUEST_ID_HEADER), newId);
      // Every line logged while the request is handled (a security event, an error) carries its id as well.
      const handle = (request: Request) => runAsRequest(id, next as unknown as Handle, request);
      // LOG_LEVEL=warn or error: the id is still echoed, the line (its size, its client IP) not worked out.
      if (logger.isEnabled?.("info") === false) return stamped(await handle(request), id, request, answerHeaders);
      const startedAt = performance.now();
      let status = 500;
      let bytes: number | null = null;
      try {
        const response = stamped(await handle(request), id, request, answerHeaders);
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

/**
 * A route's handler for Bun's own route table, outside Elysia (server.ts: GET /healthz), with what every answer gets
 * from the edge in Elysia: the body drain (src/http/unread-body.ts), the request's id (a client's sane one or a new
 * one, echoed in X-Request-Id, and the store any line logged while `answer` runs reads) and CORS's headers, in the
 * same order as the two wraps. No access line and no metrics hook: server.ts uses it only while neither LOG_REQUESTS
 * nor METRICS_ENABLED is on. Elysia's route stays registered (the OpenAPI document, app.handle), answering the same.
 */
export function answeredAtTheEdge(answerHeaders: AnswerHeaders, answer: Handle): Handle {
  const newId = requestIds();
  return (request) => {
    const id = requestIdFor(request.headers.get(REQUEST_ID_HEADER), newId);
    const made = runAsRequest(id, answerAfterBody(answer, request), request);
    return made instanceof Promise ? made.then((response) => stamped(response, id, request, answerHeaders)) : stamped(made, id, request, answerHeaders);
  };
}
