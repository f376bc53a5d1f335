// CORS for browser clients on other origins. HBP reflects any Origin with credentials; CORS_ORIGINS narrows it.
// (Cookies are SameSite=Lax by default, so a cross-site page cannot ride on them even when its origin is reflected.)
import { Elysia } from "elysia";

export function corsHandling(allowedOrigins: string[]) {
  const any = allowedOrigins.includes("*");
  const allowed = (origin: string): boolean => any || allowedOrigins.includes(origin);
  return new Elysia({ name: "cors" }).onRequest(({ request, set }) => {
    const origin = request.headers.get("origin");
    if (!origin || !allowed(origin)) return;
    set.headers["access-control-allow-origin"] = origin;
    set.headers["access-control-allow-credentials"] = "true";
    set.headers.vary = "Origin";
    if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
      return new Response(null, {
        status: 204,
        headers: {
          ...(set.headers as Record<string, string>),
          "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
          "access-control-allow-headers": request.headers.get("access-control-request-headers") ?? "",
          "access-control-max-age": "600",
        },
      });
    }
  }).as("global");
}
