// How lncrawl's routes document themselves in their table (src/apis/route-docs.ts): lncrawl's error shape, and the
// refusals any route may answer before its own code runs (the edge reader, src/http; its schemas, as FastAPI does).
import { routeDocs } from "../route-docs.ts";
import { lncrawlErrorSchema } from "./errors.ts";

export const lncrawlDoc = routeDocs({
  tags: ["lncrawl"],
  error: lncrawlErrorSchema,
  everyRoute: {
    400: "A URL with %00 or an escaped lone surrogate.",
    422: "Validation error: a field is missing or wrong (`detail` names it).",
  },
  withBody: {
    400: "Or a body nested more than 32 levels or holding NUL or a lone surrogate.",
    413: "The body is larger than 64 KiB.",
    415: "A body that is not JSON, multipart/form-data or urlencoded.",
    422: "Or the body does not parse.",
  },
});

/** What every route that needs a signed-in user may answer (auth-guard.ts). */
export const SIGNED_IN_ERRORS = {
  401: "Not authenticated: no Bearer token or Basic credentials, a bad or expired token, or a wrong password (Basic).",
  403: "The account is disabled or not active; or, by Basic, it has a second factor (no password-only access).",
  429: "Too many wrong passwords (Basic), per address and account; Retry-After says when to try again.",
};
