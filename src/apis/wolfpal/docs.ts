// How WolfPal's routes document themselves in their table (src/apis/route-docs.ts): WolfPal's error shapes, the
// refusals any route may answer before its own code runs (the edge reader, src/http), and its bodies, which no Elysia
// schema checks (the handlers check them with WolfPal's own field rules, validation.ts).
import { CONTENT_TYPES, type BodyMediaType } from "../../http/edge-input.ts";
import { routeDocs, type RequestBodyDoc } from "../route-docs.ts";
import { wolfpalErrorSchema } from "./errors.ts";
import { fieldsSchema, type FieldRules } from "./validation.ts";

/** What WolfPal reads (spec/wolfpal.md decision 2). */
export const WOLFPAL_MEDIA_TYPES: readonly BodyMediaType[] = ["urlencoded", "json"];

export const wolfpalDoc = routeDocs({
  tags: ["WolfPal"],
  error: wolfpalErrorSchema,
  everyRoute: { 400: "INVALID: a URL with %00 or an escaped lone surrogate." },
  withBody: {
    400: "INVALID: a body that does not parse, is nested more than 32 levels or holds NUL or a lone surrogate.",
    413: "PAYLOAD_TOO_LARGE: the body is larger than 64 KiB.",
    415: "UNSUPPORTED_MEDIA_TYPE: a body that is neither urlencoded nor JSON.",
  },
});

/** A route's body, from the field rules its handler checks it with. */
export function fieldsBody(fieldRules: FieldRules<string>): RequestBodyDoc {
  const schema = fieldsSchema(fieldRules);
  return {
    required: true,
    content: Object.fromEntries(WOLFPAL_MEDIA_TYPES.map((type) => [CONTENT_TYPES[type], { schema }])),
  };
}

export const INVALID_FIELDS = "Fields missing or wrong: `codes` and `errors` name each one.";
export const LIMITED = "TOO_MANY_REQUESTS: too many tries from this address or for this account; Retry-After says when.";
export const UNAUTHORIZED = "UNAUTHORIZED: no access token, a bad or expired one, or its session has ended.";
