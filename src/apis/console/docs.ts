// How the console API's routes document themselves in their table (src/apis/route-docs.ts): its error shape, and the
// refusals any route may answer before its own code runs (the edge reader, src/http, and its guard).
import { routeDocs } from "../route-docs.ts";
import { consoleErrorSchema } from "./errors.ts";

export const consoleDoc = routeDocs({
  tags: ["Console"],
  error: consoleErrorSchema,
  everyRoute: { 400: "invalid_request: a URL with %00 or an escaped lone surrogate, or a query or path that does not match its schema." },
  withBody: {
    400: "invalid_request: a body that does not parse, is nested more than 32 levels, holds NUL or a lone surrogate, or does not match its schema.",
    413: "payload_too_large: the body is larger than 16 KiB.",
    415: "unsupported_media_type: a body that is not JSON.",
  },
});

/** What a route behind the `console` guard may answer before its handler: no session, not an administrator. */
export const SIGNED_IN = {
  401: "unauthenticated or invalid_console_session: no console session cookie, or the session is over (idle, 8 hours, signed out).",
  403: "not_an_administrator, account_disabled or account_inactive: the account behind the session may not use the console (now).",
};

/** And a route that changes something: the CSRF token. */
export const CHANGES = {
  ...SIGNED_IN,
  403: `${SIGNED_IN[403]} Or csrf_token_invalid: the X-CSRF-Token header is missing or is not this session's token.`,
};

export const NO_ACCOUNT = "user_not_found: no account with this id.";

export const LIMITED = "rate_limited: too many tries from this address or for this account; Retry-After says when to try again.";
