// How HBP's routes document themselves in their tables (src/apis/route-docs.ts): HBP's error shape, and the refusals
// any route may answer before its own code runs (the edge reader, src/http; its schemas).
import { routeDocs } from "../route-docs.ts";
import { hbpErrorSchema } from "./errors.ts";

export const hbpAuthDoc = routeDocs({
  tags: ["HBP auth"],
  error: hbpErrorSchema,
  everyRoute: { 400: "Refused before the route ran: a URL with %00 or an escaped lone surrogate, or a query that does not match its schema." },
  withBody: {
    400: "Or a body that is not JSON, is nested more than 32 levels, holds NUL or a lone surrogate, or does not match its schema.",
    413: "The body is larger than 1 MiB.",
  },
});

/** The one HBP route that reads a form: a form_post provider's callback (routes.ts, hbpProviderFormRoutes). */
export const hbpFormDoc = routeDocs({
  tags: ["HBP auth"],
  error: hbpErrorSchema,
  everyRoute: { 400: "Refused before the route ran: a URL with %00 or an escaped lone surrogate, or a query that does not match its schema." },
  withBody: {
    400: "Or a body that is not a form (application/x-www-form-urlencoded), holds NUL or a lone surrogate, or does not match its schema.",
    413: "The body is larger than 64 KiB.",
  },
});

export const hbpStorageDoc = routeDocs({
  tags: ["HBP storage"],
  error: hbpErrorSchema,
  everyRoute: {
    400: "Refused before the route ran: a URL with %00 or an escaped lone surrogate, or a key that is not a valid path.",
    404: "STORAGE_ENABLED=false (the message says so), or no access rule covers the path.",
  },
  // Each route that reads a body says how large it may be.
  withBody: {},
});

/** The answer of every route whose guessable checks (passwords, codes, tickets, mails) are counted: core/throttling/guesses.ts. */
export const RATE_LIMITED = "Too many tries from this address or for this account; Retry-After says when to try again.";
