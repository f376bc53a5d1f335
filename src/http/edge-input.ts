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

export interface EdgeInput {
  /** An Elysia parse hook (onParse, or a route's `parse`). */
  parse(context: { request: Request }): Promise<unknown>;
}

/** The URL check, as an Elysia transform hook (onTransform): the same for every dialect. */
export function checkTarget({ request }: { request: Request }): void {
  checkRequestTarget(request.url);
}

export function edgeInput(policy: BodyPolicy): EdgeInput {
  return { parse: ({ request }) => readRequestBody(request, policy) };
}
