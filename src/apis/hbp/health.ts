// GET /health (204, seed 000), GET /healthz (200 OK, seed 001 and HBP's code), GET /version.
import { Elysia } from "elysia";

export function hbpHealthRoutes(version: string) {
  const versionText = JSON.stringify({ version: `v${version}` });
  return new Elysia({ name: "api:hbp:health" })
    .get("/health", ({ set }) => {
      set.status = 204;
    }, { detail: { tags: ["Service"], summary: "Health check (204)" } })
    .get("/healthz", () => new Response("OK", { headers: { "content-type": "text/plain; charset=utf-8" } }), {
      detail: { tags: ["Service"], summary: "Health check (200 OK)" },
    })
    .get("/version", () => new Response(versionText, { headers: { "content-type": "text/plain; charset=utf-8" } }), {
      detail: { tags: ["Service"], summary: "Server version (HBP sends it as text)" },
    });
}
