// The one set-up every dialect starts from (HBP auth, HBP storage, Faroe, lncrawl, WolfPal): its name and prefix, the
// edge reader for its bodies and URLs (src/http/edge-input.ts), its error mapper, and the request facts its handlers
// read. Each dialect's routes.ts is one call to `dialect()`, then its guards (`.macro`) and its route table:
//
//   dialect({ name: "api:lncrawl", prefix, body, errorResponse, exchange }).macro(guards).post("/login", ...)
//
// For every request the body is read first (the edge reader), then the URL is checked, then the exchange is made;
// what a route adds (its guards, schemas, limits) comes after.
import { Elysia, type Context } from "elysia";
import { checkTarget, edgeInput, type BodyPolicy } from "../http/edge-input.ts";

export interface DialectBase {
  /** Elysia's plugin name, which also keeps a plugin from being mounted twice: "api:<dialect>". */
  name: string;
  /** Where the dialect is mounted; every path of its table is under it. */
  prefix: string;
  /** How its request bodies are read; null for a dialect whose routes choose their own (storage streams uploads). */
  body: BodyPolicy | null;
  /** Turns anything its routes throw (core's errors, edge refusals, its own) into an answer in its own shape. */
  errorResponse(code: string | number, error: unknown): Response;
}

export interface DialectSetup<Exchange> extends DialectBase {
  /** The request facts its handlers read, made once per request so that handlers never see the framework's context. */
  exchange(request: Request, set: Context["set"]): Exchange;
}

function mount(setup: DialectBase) {
  const app = new Elysia({ name: setup.name, prefix: setup.prefix }).onError(({ code, error }) => setup.errorResponse(code, error));
  if (setup.body !== null) app.onParse(edgeInput(setup.body).parse);
  return app.onTransform(checkTarget);
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
