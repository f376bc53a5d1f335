// How Faroe's routes document themselves in their table (src/apis/route-docs.ts): Faroe's error shape, `{"error":
// "CODE"}`, 400 for every expected error, and the refusals of the transport (transport.ts) and the edge before any route.
import { routeDocs } from "../route-docs.ts";
import { faroeErrorSchema } from "./errors.ts";

export const faroeDoc = routeDocs({
  tags: ["Faroe"],
  error: faroeErrorSchema,
  everyRoute: {
    400:
      "INVALID_DATA: a body that is not JSON, is larger than 64 KiB, is nested more than 32 levels, holds NUL or a lone " +
      "surrogate or lacks a field; a URL with %00 or an escaped lone surrogate; an X-Client-IP longer than 64 characters.",
    401: "NOT_AUTHENTICATED: the Authorization header is not FAROE_CREDENTIAL.",
    406: "NOT_ACCEPTABLE: Accept does not allow JSON.",
    415: "UNSUPPORTED_MEDIA_TYPE: a Content-Type other than application/json.",
  },
  // The transport refuses bodies for every method alike (transport.ts), so everyRoute says it all.
  withBody: {},
});

/** The 404 of a route that names a user or a request in its path. */
export const NOT_FOUND = "NOT_FOUND: no such user, or no such request (or it expired).";
