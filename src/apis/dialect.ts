// The one set-up every dialect starts from (HBP auth, HBP storage, Faroe, lncrawl, WolfPal): its name and prefix, the
// edge reader for its bodies and URLs (src/http/edge-input.ts), its error mapper, and the request facts its handlers
// read. Each dialect's routes.ts is one call to `dialect()`, then its guards (`.macro`) and its route table:
//
//   dialect({ name: "api:lncrawl", prefix, body, errorResponse, exchange }).macro(guards).post("/login", ...)
//
// For every request the body is read first (the edge reader), then the URL is checked, then the exchange is made;
// what a route adds (its guards, schemas, limits) comes after. A dialect's password routes (`passwordRoutes`) ask
// for room in the hash queue before even the body: a flood of wrong passwords is refused for the cost of its headers.
import { Elysia, type Context } from "elysia";
import { CoreError } from "../core/errors.ts";
import { checkTarget, edgeInput, type BodyPolicy, type EdgeParse } from "../http/edge-input.ts";

export interface DialectBase {
  /** Elysia's plugin name, which also keeps a plugin from being mounted twice: "api:<dialect>". */
  name: string;
  /** Where the dialect is mounted; every path of its table is under it. */
  prefix: string;
  /** How its request bodies are read; null for a dialect whose routes choose their own (storage streams uploads). */
  body: BodyPolicy | null;
  /** Turns anything its routes throw (core's errors, edge refusals, its own) into an answer in its own shape. */
  errorResponse(code: string | number, error: unknown): Response;
  /**
   * The routes of its table that check a password (paths under the prefix, as the table writes them), and how they are
   * refused at once: `assertRoom` (core's passwordCheck) throws `rate_limited` when a check for the client's address
   * would find no room in the hash queue now. It is asked before the body is read or parsed, with the address the
   * route's handler would count the try for; the route's own checks come after, as for every request.
   */
  passwordRoutes?: {
    paths: readonly string[];
    clientIp(request: Request): string | null;
    assertRoom(ip: string | null): void;
  };
}

export interface DialectSetup<Exchange> extends DialectBase {
  /** The request facts its handlers read, made once per request so that handlers never see the framework's context. */
  exchange(request: Request, set: Context["set"]): Exchange;
}

function mount(setup: DialectBase) {
  const app = new Elysia({ name: setup.name, prefix: setup.prefix }).onError(({ code, error }) => setup.errorResponse(...refusedEarly(code, error)));
  if (setup.body !== null) app.onParse(roomFirst(setup, edgeInput(setup.body).parse));
  return app.onTransform(checkTarget);
}

/**
 * The edge reader, after the hash queue's check on a password route. A refused try's body (a few hundred bytes with
 * its Content-Length) is still read, whole and unparsed, so that its connection stays usable (an unread body would
 * make the answer close it: src/http/unread-body.ts); one without a Content-Length is left to that drain.
 */
function roomFirst(setup: DialectBase, parse: EdgeParse): EdgeParse {
  const guarded = setup.passwordRoutes;
  if (!guarded) return parse;
  const paths = new Set(guarded.paths.map((path) => setup.prefix + path));
  // Destructured, not `(context) =>`: Elysia reads a hook's parameters to see what of the context its routes use, and
  // a hook taking the whole context made every route of the dialect copy the headers into an object and parse (and
  // await) the cookies on every request, a refresh's included (bench/README.md, "Refresh").
  const first = async ({ request, route }: { request: Request; route?: string }): Promise<unknown> => {
    if (route !== undefined && paths.has(route)) {
      try {
        guarded.assertRoom(guarded.clientIp(request));
      } catch (refused) {
        const length = Number(request.headers.get("content-length"));
        if (request.body !== null && length > 0 && length <= setup.body!.maxBytes) {
          // A client gone mid-body still gets (or rather misses) the refusal, not a read error.
          await request.arrayBuffer().catch(() => {});
        }
        throw refused;
      }
    }
    return parse({ request });
  };
  return Object.assign(first, { policy: parse.policy });
}

/** Elysia wraps what a parse hook throws in a ParseError: the hash queue's refusal is mapped as core threw it. */
function refusedEarly(code: string | number, error: unknown): [string | number, unknown] {
  return error instanceof Error && error.cause instanceof CoreError ? ["UNKNOWN", error.cause] : [code, error];
}

function withExchange<Exchange>(setup: DialectSetup<Exchange>) {
  return mount(setup).derive(({ request, set }): { exchange: Exchange } => ({ exchange: setup.exchange(request, set) }));
}

export function dialect<Exchange>(setup: DialectSetup<Exchange>): ReturnType<typeof withExchange<Exchange>>;
/** Without an exchange: handlers that read only what their guards resolve, and the request itself (storage). */
export function dialect(setup: DialectBase): ReturnType<typeof mount>;
export function dialect<Exchange>(setup: DialectBase | DialectSetup<Exchange>) {
  return "exchange" in setup ? withExchange(setup) : mount(setup);
}
