// Faroe's transport rules, checked before routing, parsing or anything else, in Faroe's order:
// credential (401 NOT_AUTHENTICATED), Content-Type (415), Accept (406); then unknown paths answer 404 NOT_FOUND.
// They run in an onRequest hook (global: it must see requests no route matches), for paths under the prefix only.
import { Elysia } from "elysia";
import { constantTimeEqual } from "../../lib/secrets.ts";
import { FaroeError, faroeErrorBody, type FaroeErrorCode } from "./errors.ts";

/** Faroe bodies are a few short fields; anything larger is not a Faroe request. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Longest `X-Client-IP` taken as a rate-limit key (an IPv6 address with a zone fits). */
const MAX_CLIENT_IP_LENGTH = 64;

function reply(status: number, code: FaroeErrorCode): Response {
  return Response.json(faroeErrorBody(code), { status });
}

/** The credential check: constant time, against timing attacks on the one shared secret. */
export function hasCredential(headers: Headers, credential: string): boolean {
  return constantTimeEqual(headers.get("authorization") ?? "", credential);
}

function mediaType(value: string): string {
  return value.split(";")[0]!.trim().toLowerCase();
}

/** Content-Type, when present, must be JSON. */
export function acceptsContentType(headers: Headers): boolean {
  const value = headers.get("content-type");
  return value === null || mediaType(value) === "application/json";
}

/** Accept, when present, must allow JSON (`application/json`, `application/*` or `*\/*`). */
export function allowsJson(headers: Headers): boolean {
  const value = headers.get("accept");
  if (value === null) return true;
  return value.split(",").some((entry) => ["application/json", "application/*", "*/*"].includes(mediaType(entry)));
}

/** `X-Client-IP`, trimmed; null when absent or empty. */
export function clientIpOf(headers: Headers): string | null {
  const value = headers.get("x-client-ip")?.trim();
  return value ? value : null;
}

function isUnder(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(`${prefix}/`);
}

function pathnameOf(url: string): string {
  const path = new URL(url).pathname;
  try {
    // Percent-encoded spellings of the prefix count as under it too, whatever the router makes of them.
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export function faroeTransport(options: { prefix: string; credential: string }) {
  const { prefix, credential } = options;
  return new Elysia({ name: "api:faroe:transport" })
    .onRequest(({ request }) => {
      if (!isUnder(pathnameOf(request.url), prefix)) return;
      const { headers } = request;
      if (!hasCredential(headers, credential)) return reply(401, "NOT_AUTHENTICATED");
      if (!acceptsContentType(headers)) return reply(415, "UNSUPPORTED_MEDIA_TYPE");
      if (!allowsJson(headers)) return reply(406, "NOT_ACCEPTABLE");
      if (Number(headers.get("content-length") ?? 0) > MAX_BODY_BYTES) return reply(400, "INVALID_DATA");
      if ((clientIpOf(headers)?.length ?? 0) > MAX_CLIENT_IP_LENGTH) return reply(400, "INVALID_DATA");
    })
    .as("global");
}

/** Thrown by the routes' own credential check, which stands behind the hook above (defence in depth). */
export function notAuthenticated(): FaroeError {
  return new FaroeError(401, "NOT_AUTHENTICATED");
}
