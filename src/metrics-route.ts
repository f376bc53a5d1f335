// GET /metrics: the Prometheus text format (src/metrics.ts), mounted only with METRICS_ENABLED=true. With
// METRICS_TOKEN set a scrape must send `Authorization: Bearer <token>`, else 401: the series name no account and no
// secret, but they tell how busy the server is and how sign-ins fare. The token is compared in constant time (against
// timing attacks on it) and never logged. Not in the OpenAPI document: it is the operator's, not an API's.
import { Elysia } from "elysia";
import { constantTimeEqual } from "./lib/secrets.ts";
import type { Metrics } from "./metrics.ts";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function metricsRoutes(deps: { metrics: Pick<Metrics, "scrape">; token: string | null }) {
  const { metrics, token } = deps;
  return new Elysia({ name: "metrics" }).get(
    "/metrics",
    async ({ request }) => {
      if (token !== null) {
        const presented = BEARER.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
        if (!constantTimeEqual(presented, token)) {
          return new Response("metrics: send Authorization: Bearer <METRICS_TOKEN>\n", {
            status: 401,
            headers: { "content-type": "text/plain; charset=utf-8", "www-authenticate": 'Bearer realm="metrics"', "cache-control": "no-store" },
          });
        }
      }
      const { body, contentType } = await metrics.scrape();
      return new Response(body, { status: 200, headers: { "content-type": contentType, "cache-control": "no-store" } });
    },
    { detail: { hide: true } },
  );
}
