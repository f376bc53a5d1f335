// The admin console's page at /console: one HTML shell, one script and one style sheet, embedded in the binary
// (`with { type: "file" }`, as the docs page's script) and served as they are: no framework, no build step of their
// own, nothing fetched from elsewhere. The script is a client of the console's JSON API (routes.ts).
//
// Every answer carries a strict Content-Security-Policy: scripts, styles, images and requests from this server only,
// no inline script or style, no plugins, and no framing (frame-ancestors 'none', with X-Frame-Options for older
// browsers). The session cookie is HttpOnly, so the script never sees it; it holds only the CSRF token, in memory.
import { Elysia, t } from "elysia";
import pageHtml from "./page/console.html" with { type: "file" };
import pageScript from "./page/console.js" with { type: "file" };
import pageStyles from "./page/console.css" with { type: "file" };
import { json, media } from "../route-docs.ts";
import { consoleErrorSchema } from "./errors.ts";

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE_HEADERS: Record<string, string> = {
  "content-security-policy": CONSOLE_CSP,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  // A new binary may bring a new script: always ask (the files are small).
  "cache-control": "no-cache",
};

// A Map, not an object: a name such as `__proto__` or `constructor` must find nothing, not Object.prototype's members.
const ASSETS = new Map<string, { path: string; type: string }>([
  ["console.js", { path: pageScript, type: "text/javascript; charset=utf-8" }],
  ["console.css", { path: pageStyles, type: "text/css; charset=utf-8" }],
]);

const tags = ["Console"];

function file(path: string, type: string): Response {
  return new Response(Bun.file(path), { headers: { ...PAGE_HEADERS, "content-type": type } });
}

export function consolePageRoutes() {
  return new Elysia({ name: "console:page" })
    // With `type: "file"` the import is the embedded file's path; Bun's own types call every .html import an HTMLBundle.
    .get("/console", () => file(pageHtml as unknown as string, "text/html; charset=utf-8"), {
      detail: {
        tags,
        summary: "The admin console (a page; its API is /console/api)",
        responses: { 200: media("text/html", "The page: it signs in and calls /console/api.") },
      },
    })
    .get(
      "/console/assets/:file",
      ({ params }) => {
        const asset = ASSETS.get(params.file);
        if (!asset) {
          return Response.json({ error: { code: "not_found", message: "No such console file." } }, { status: 404, headers: PAGE_HEADERS });
        }
        return file(asset.path, asset.type);
      },
      {
        // Any name is looked up (an unknown one is 404), so none is refused by a schema before that.
        params: t.Object({ file: t.String({ description: "console.js or console.css" }) }),
        detail: {
          tags,
          summary: "The console page's script and style sheet",
          responses: {
            200: { description: "The file.", content: { "text/javascript": { schema: { type: "string" } }, "text/css": { schema: { type: "string" } } } },
            404: json(consoleErrorSchema, "not_found: no such file."),
          },
        },
      },
    );
}
