// What every dialect mounts to take its input at the edge: one body reader (request-body.ts) as its parse hook, so
// Elysia's own parsers never run, and one check of the path and query (request-target.ts) before validation and
// handlers. Both throw BadInputError, which the dialect's error mapper answers in its own shape.
//
//   new Elysia({ prefix }).onParse(edge.parse).onTransform(edge.checkTarget)...
import type { BodyPolicy } from "./request-body.ts";
import { readRequestBody } from "./request-body.ts";
import { checkRequestTarget } from "./request-target.ts";

export type { BodyMediaType, BodyPolicy } from "./request-body.ts";

export interface EdgeInput {
  /** An Elysia parse hook (onParse, or a route's `parse`). */
  parse(context: { request: Request }): Promise<unknown>;
  /** An Elysia transform hook (onTransform). */
  checkTarget(context: { request: Request }): void;
}

export function edgeInput(policy: BodyPolicy): EdgeInput {
  return {
    parse: ({ request }) => readRequestBody(request, policy),
    checkTarget: ({ request }) => checkRequestTarget(request.url),
  };
}
