// The OpenAPI document at /openapi/json and a Scalar docs page at /openapi. The page's script is served from
// the binary itself (not a CDN), so the docs work on a machine with no internet access.
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
// The package's exports do not list its browser bundle, so it is imported by path.
import scalarScript from "../node_modules/@scalar/api-reference/dist/browser/standalone.js" with { type: "file" };

const SCRIPT_PATH = "/openapi/scalar.js";

export function docsRoutes(version: string) {
  return new Elysia({ name: "docs" })
    .get(
      SCRIPT_PATH,
      () =>
        new Response(Bun.file(scalarScript), {
          headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" },
        }),
      { detail: { hide: true } },
    )
    .use(
      openapi({
        path: "/openapi",
        specPath: "/openapi/json",
        documentation: {
          info: {
            title: "latchkey",
            version,
            description: "Self-hosted auth and file storage. HBP (Hasura Backend Plus) API under /auth.",
          },
        },
        // `cdn` is where the page loads the Scalar script from: our own route above.
        scalar: { cdn: SCRIPT_PATH, withDefaultFonts: false } as unknown as NonNullable<Parameters<typeof openapi>[0]>["scalar"],
      }),
    );
}
