// The docs: the OpenAPI document at /openapi/json (openapi-document.ts) and a Scalar page at /openapi. The page's
// script is served from the binary itself (not a CDN), so the docs work on a machine with no internet access.
import { Elysia, type InternalRoute } from "elysia";
// The package's exports do not list its browser bundle, so it is imported by path.
import scalarScript from "../../node_modules/@scalar/api-reference/dist/browser/standalone.js" with { type: "file" };
import { media } from "../apis/route-docs.ts";
import { openApiDocument } from "./openapi-document.ts";

const SCRIPT_PATH = "/openapi/scalar.js";
const tags = ["Service"];

/** Scalar reads its settings from this element; the document's URL is relative, so a proxy's path prefix keeps working. */
const PAGE = `<!doctype html>
<html>
  <head>
    <title>latchkey</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <script id="api-reference" data-configuration='${JSON.stringify({ url: "openapi/json", withDefaultFonts: false })}'></script>
    <script src="${SCRIPT_PATH}"></script>
  </body>
</html>`;

export interface DocsOptions {
  version: string;
  /** Every route of the app, read when the document is first asked for (every route is mounted by then). */
  routes(): readonly InternalRoute[];
  /** PUBLIC_URL, as the server knows it once it listens. */
  publicUrl(): string;
}

export function docsRoutes(options: DocsOptions) {
  let document: ReturnType<typeof openApiDocument> | null = null;
  return new Elysia({ name: "docs" })
    .get("/openapi", () => new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }), {
      detail: { tags, summary: "These docs, as a page", responses: { 200: media("text/html", "The page; its script is served from this server.") } },
    })
    .get(
      "/openapi/json",
      () => (document ??= openApiDocument(options.routes(), { version: options.version, serverUrl: options.publicUrl() })),
      {
        detail: {
          tags,
          summary: "This document (OpenAPI 3.1)",
          responses: { 200: media("application/json", "The OpenAPI document.", { type: "object" }) },
        },
      },
    )
    .get(
      SCRIPT_PATH,
      () =>
        new Response(Bun.file(scalarScript), {
          headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" },
        }),
      { detail: { tags, summary: "The docs page's script (Scalar)", responses: { 200: media("text/javascript", "The script.") } } },
    );
}
