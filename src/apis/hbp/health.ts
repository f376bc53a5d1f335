// GET /health (204, seed 000), GET /healthz (200 OK, seed 001 and HBP's code), GET /version.
import { Elysia } from "elysia";
import { media, noContent } from "../route-docs.ts";

const tags = ["Service"];

/** GET /healthz's answer (HBP's liveness check): also served from Bun's route table by server.ts. */
export function healthzAnswer(): Response {
  return new Response("OK", { headers: { "content-type": "text/plain; charset=utf-8" } });
}

export function hbpHealthRoutes(version: string) {
  const versionText = JSON.stringify({ version: `v${version}` });
  return new Elysia({ name: "api:hbp:health" })
    .get("/health", ({ set }) => {
      set.status = 204;
    }, { detail: { tags, summary: "Health check (204)", responses: { 204: noContent("The process is up.") } } })
    .get("/healthz", () => healthzAnswer(), {
      detail: { tags, summary: "Health check (200 OK)", responses: { 200: media("text/plain", "`OK`: the process is up (for liveness; /readyz for traffic).") } },
    })
    .get("/version", () => new Response(versionText, { headers: { "content-type": "text/plain; charset=utf-8" } }), {
      detail: {
        tags,
        summary: "Server version (HBP sends it as text)",
        responses: { 200: media("text/plain", 'JSON text, as HBP sends it: {"version":"v<version>"}.') },
      },
    });
}
