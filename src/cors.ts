// CORS for browser clients on other origins. HBP reflects any Origin with credentials; CORS_ORIGINS narrows it.
// (Cookies are SameSite=Lax by default, so a cross-site page cannot ride on them even when its origin is reflected.)
//
// Not an onRequest hook: with one, Elysia builds a context and reads the URL of every request before routing it,
// a cost every request pays, /healthz a noticeable share of its throughput (bench/README.md). Nor a mapResponse hook
// any more: Elysia compiles one into every route's handler and its error path, and headers left in `set` made it
// rebuild a Response's headers to merge them. Instead (src/server.ts mounts the two parts):
// - `answerHeaders`, handed to the wrap that stamps X-Request-Id on every answer (src/http/access-log.ts): the
//   headers go onto each answer as it leaves, a route's, an error's or an unknown path's, and only when the request
//   has an allowed Origin (a header a route set itself is left as it is, as Elysia's merge did);
// - `preflight`, mounted after every route and the last-resort error hook: OPTIONS with
//   Access-Control-Request-Method from an allowed origin answers 204; any other OPTIONS is an unknown route (404).
import { Elysia, NotFoundError } from "elysia";

const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
/**
 * Headers beyond the CORS-safelisted ones that a script on an allowed origin may read: X-Request-Id (every answer
 * carries it, src/http/access-log.ts), so a browser app can show it in an error report and an operator can find the
 * request's log lines.
 */
const EXPOSED_HEADERS = "X-Request-Id";

/**
 * The one combination of settings that hands every account to any web site: CORS_ORIGINS=* reflects any origin with
 * credentials, and COOKIE_SAME_SITE=None lets the browser send the refresh-token cookie on cross-site calls, so a
 * page on any site can call GET /auth/token/refresh and read a fresh access token. Warned at start-up, not refused:
 * an operator may put a proxy that filters origins in front.
 */
export function corsWarning(settings: { corsOrigins: readonly string[]; sameSite: string }): string | null {
  if (!settings.corsOrigins.includes("*") || settings.sameSite !== "None") return null;
  return (
    "CORS_ORIGINS=* with COOKIE_SAME_SITE=none lets any web site make credentialed calls with a signed-in user's " +
    "cookie (and read a fresh access token from /auth/token/refresh): set CORS_ORIGINS to your app's origins, or COOKIE_SAME_SITE=lax"
  );
}

/** The path of a request's URL (Request.url is always absolute): what follows the authority, query included. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  return start < 0 ? "/" : url.slice(start);
}

/** `closedPrefixes`: paths (and what is under them) that answer no cross-origin caller, whatever CORS_ORIGINS says. */
export function corsHandling(allowedOrigins: readonly string[], options: { closedPrefixes?: readonly string[] } = {}) {
  const any = allowedOrigins.includes("*");
  const closed = options.closedPrefixes ?? [];
  const isClosed = (request: Request): boolean => {
    if (closed.length === 0) return false;
    const path = pathOf(request.url);
    return closed.some((prefix) => path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`));
  };
  /** The request's Origin when it is allowed, else null. */
  const allowedOrigin = (request: Request): string | null => {
    const origin = request.headers.get("origin");
    return origin && (any || allowedOrigins.includes(origin)) && !isClosed(request) ? origin : null;
  };
  /** A Vary header's value with Origin in it. */
  const withOrigin = (vary: string | null): string =>
    !vary ? "Origin" : vary.split(",").some((name) => name.trim().toLowerCase() === "origin" || name.trim() === "*") ? vary : `${vary}, Origin`;
  /** The headers an answer to an allowed `origin` carries. */
  const headersFor = (origin: string): [string, string][] => [
    ["access-control-allow-origin", origin],
    ["access-control-allow-credentials", "true"],
    ["access-control-expose-headers", EXPOSED_HEADERS],
    ["vary", "Origin"],
  ];

  return {
    answerHeaders(request: Request, headers: Headers): void {
      const origin = allowedOrigin(request);
      if (origin === null) return;
      for (const [name, value] of headersFor(origin)) {
        // The answer names the origin, so it varies by Origin on top of whatever the route said it varies by (a
        // transform's f=auto: Accept); a shared cache keyed without it would hand one origin's answer to another.
        if (name === "vary") headers.set("vary", withOrigin(headers.get("vary")));
        else if (!headers.has(name)) headers.set(name, value);
      }
    },
    preflight: new Elysia({ name: "cors:preflight" }).options(
      "/*",
      ({ request }) => {
        const origin = request.headers.has("access-control-request-method") ? allowedOrigin(request) : null;
        if (origin === null) throw new NotFoundError();
        return new Response(null, {
          status: 204,
          headers: {
            ...Object.fromEntries(headersFor(origin)),
            "access-control-allow-methods": ALLOWED_METHODS,
            "access-control-allow-headers": request.headers.get("access-control-request-headers") ?? "",
            "access-control-max-age": "600",
          },
        });
      },
      { detail: { hide: true } },
    ),
  };
}
