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

export interface DialectSetup<Exchange> {
  /** Elysia's plugin name, which also keeps a plugin from being mounted twice: "api:<dialect>". */
  name: string;
  /** Where the dialect is mounted; every path of its table is under it. */
  prefix: string;
  /** How its request bodies are read; null for a dialect whose routes choose their own (storage streams uploads). */
  body: BodyPolicy | null;
  /** Turns anything its routes throw (core's errors, edge refusals, its own) into an answer in its own shape. */
  errorResponse(code: string | number, error: unknown): Response;
  /** The request facts its handlers read, made once per request so that handlers never see the framework's context. */
  exchange(request: Request, set: Context["set"]): Exchange;
}

export function dialect<Exchange>(setup: DialectSetup<Exchange>) {
  const app = new Elysia({ name: setup.name, prefix: setup.prefix }).onError(({ code, error }) => setup.errorResponse(code, error));
  if (setup.body !== null) app.onParse(edgeInput(setup.body).parse);
  return app.onTransform(checkTarget).derive(({ request, set }): { exchange: Exchange } => ({ exchange: setup.exchange(request, set) }));
}
