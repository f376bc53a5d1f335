// What every dialect mounts to take its input at the edge: one body reader (request-body.ts) as its parse hook, so
// Elysia's own parsers never run, and one check of the path and query (request-target.ts) before validation and
// handlers. Both throw BadInputError, which the dialect's error mapper answers in its own shape. src/apis/dialect.ts
// mounts them for every dialect:
//
//   new Elysia({ prefix }).onParse(edgeInput(policy).parse).onTransform(checkTarget)...
import type { BodyPolicy } from "./request-body.ts";
import { readRequestBody } from "./request-body.ts";
import { checkRequestTarget } from "./request-target.ts";

export type { BodyMediaType, BodyPolicy } from "./request-body.ts";
export { CONTENT_TYPES } from "./request-body.ts";

/** An Elysia parse hook (onParse, or a route's `parse`) that reads bodies by `policy`. */
export interface EdgeParse {
  (context: { request: Request }): Promise<unknown>;
  /** What it reads: the OpenAPI document lists a route's body under these media types (src/docs). */
  readonly policy: BodyPolicy;
}

export interface EdgeInput {
  parse: EdgeParse;
}

/** The URL check, as an Elysia transform hook (onTransform): the same for every dialect. */
export function checkTarget({ request }: { request: Request }): void {
  checkRequestTarget(request.url);
}

export function edgeInput(policy: BodyPolicy): EdgeInput {
  const parse = ({ request }: { request: Request }) => readRequestBody(request, policy);
  return { parse: Object.assign(parse, { policy }) };
}

/** The body policy of an Elysia parse hook, when it is the edge reader's. */
export function edgePolicyOf(hook: unknown): BodyPolicy | null {
  return typeof hook === "function" && "policy" in hook ? (hook as EdgeParse).policy : null;
}
