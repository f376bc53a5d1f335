// Early answers: an answer made before the request's body was read to its end (an upload refused by the rules or by
// the caller's token, a 413 part-way through a body, Faroe's 401 before its body) must still reach a client that is
// busy sending that body. When the client asked to close the connection (Node's http without an agent does), Bun
// closes it as soon as such an answer is written, with the client's bytes unread: the kernel resets it, and a client
// still writing got EPIPE or ECONNRESET instead of the answer (in a third to a half of the tries with a 200 KB
// upload). Reading the rest in the background after answering does not help: it has to be read first.
//
// So every answer of the app passes `answerAfterBody` (mounted once, with Elysia's wrap(), in src/server.ts): if the
// body is not read to its end, the rest is read and dropped first, at most DRAIN_MAX_BYTES in at most DRAIN_MAX_MS (a
// client cannot make us read a refused gigabyte, nor hold an answer back for long), and the answer says
// `Connection: close`. Past those bounds the client may still see a reset: the price of not reading what we refused.
//
// Handlers read bodies with `bodyChunks`, which never cancels the stream (a cancelled stream can no longer be read,
// and Bun resets the connection) and lets the answer read on with its reader; a body read whole by one of Bun's own
// readers (request.json()) is left alone.

export const DRAIN_MAX_BYTES = 1024 * 1024;
export const DRAIN_MAX_MS = 3000;

export type RequestHandler = (request: Request) => Response | Promise<Response>;

/** Elysia's wrap() hook: requests without a body go straight through (no allocation: /healthz stays as fast). */
export function answerAfterBody(handle: RequestHandler, request: Request): RequestHandler {
  if (request.body === null) return handle;
  return async (incoming) => settle(incoming, await handle(incoming));
}

/**
 * The reader bodyChunks holds on a request's body. A handler that stops reading part-way (an upload refused after its
 * first part's headers) may leave its generators suspended, the stream still locked: the answer reads on with it.
 */
const openReaders = new WeakMap<Request, BodyReader>();

/** What is used of a body's reader here. */
interface BodyReader {
  read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
  cancel(): Promise<void>;
  releaseLock(): void;
}

/** A request's body as chunks, for handlers. Stopping early (a refusal, a limit) never cancels the stream. */
export async function* bodyChunks(request: Request): AsyncGenerator<Uint8Array> {
  if (request.body === null) return;
  const reader: BodyReader = request.body.getReader();
  openReaders.set(request, reader);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    openReaders.delete(request);
    reader.releaseLock();
  }
}

async function settle(request: Request, answer: Response): Promise<Response> {
  const body = request.body;
  if (body === null) return answer;
  // Locked by no reader of ours: read whole by one of Bun's readers (request.json() keeps the lock).
  const reader: BodyReader | null = openReaders.get(request) ?? (body.locked ? null : body.getReader());
  if (reader === null || !(await hadMore(reader))) return answer;
  return withHeader(answer, "connection", "close");
}

/** Reads and drops what is left of the body within the bounds; false when nothing was left. */
async function hadMore(reader: BodyReader): Promise<boolean> {
  let cut = false;
  const timer = setTimeout(() => {
    cut = true;
    reader.cancel().catch(() => {});
  }, DRAIN_MAX_MS);
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return total > 0 || cut;
      total += value.byteLength;
      if (total > DRAIN_MAX_BYTES) {
        await reader.cancel();
        return true;
      }
    }
  } catch {
    return true; // the client went away mid-body: nothing more to read
  } finally {
    clearTimeout(timer);
  }
}

function withHeader(answer: Response, name: string, value: string): Response {
  try {
    answer.headers.set(name, value);
    return answer;
  } catch {
    // A Response with immutable headers (made by fetch(), or static): copy it.
    const headers = new Headers(answer.headers);
    headers.set(name, value);
    return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers });
  }
}
