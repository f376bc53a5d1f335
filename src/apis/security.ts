// The credentials latchkey's APIs take, as OpenAPI security schemes: each guard (apis/<dialect>/guards) names the ones
// it reads, and the document (src/docs) lists them all under components.securitySchemes.
import type { OpenAPIV3_1 } from "openapi-types";

export const SECURITY_SCHEMES = {
  bearerJwt: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "An access token of the API that issued it: HBP's jwt_token, lncrawl's token, WolfPal's access_token.",
  },
  refreshCookie: {
    type: "apiKey",
    in: "cookie",
    name: "refresh_token",
    description: "HBP's signed, HttpOnly refresh-token cookie, set by a sign-in with `cookie` true (the default).",
  },
  permissionCookie: {
    type: "apiKey",
    in: "cookie",
    name: "permission_variables",
    description: "HBP's signed cookie of the caller's permission variables; honoured only with a live refresh_token cookie of the same user.",
  },
  basicAuth: { type: "http", scheme: "basic", description: "lncrawl: email (or `admin`) and password, on every request." },
  mailedToken: { type: "http", scheme: "bearer", description: "lncrawl: the token of a mailed password-reset link." },
  faroeCredential: {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "Faroe: FAROE_CREDENTIAL, the secret shared with the calling backend, as the whole header value.",
  },
  adminSecret: { type: "apiKey", in: "header", name: "x-admin-secret", description: "ADMIN_SECRET: HBP's impersonation, storage's every file." },
  fileToken: { type: "apiKey", in: "query", name: "token", description: "Storage: the file's own token (its metadata's `token`), as the rules allow." },
  consoleSession: {
    type: "apiKey",
    in: "cookie",
    name: "latchkey_console",
    description: "The admin console's session cookie (HttpOnly, SameSite=Strict, Path=/console), set by POST /console/api/session.",
  },
  consoleCsrf: {
    type: "apiKey",
    in: "header",
    name: "X-CSRF-Token",
    description: "The console session's CSRF token (`csrf_token` of its session): required with the cookie on every request that changes something.",
  },
} satisfies Record<string, OpenAPIV3_1.SecuritySchemeObject>;

export type SecuritySchemeName = keyof typeof SECURITY_SCHEMES;

/** A route's security: any one requirement will do; a requirement of several schemes needs them all; [] needs none. */
export type Security = Record<string, string[]>[];

/** `anyOf(["bearerJwt"], ["refreshCookie", "permissionCookie"], [])`: the bearer token, both cookies, or nothing. */
export function anyOf(...requirements: readonly (readonly SecuritySchemeName[])[]): Security {
  return requirements.map((names) => Object.fromEntries(names.map((name) => [name, []])));
}
