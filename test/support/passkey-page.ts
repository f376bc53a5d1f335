// The passkey test page (test/support/passkey-page/), served by the test on a free loopback port under the name
// localhost: WebAuthn runs only in a secure context, and http://localhost is one (http://127.0.0.1 is too, but an
// RP ID must be a domain, so the page's host must be one). latchkey runs elsewhere (127.0.0.1, another port): the page
// is an app on another origin, as in production, which is why latchkey is started with CORS_ORIGINS and
// WEBAUTHN_RP_ORIGINS naming this origin.
import { join } from "node:path";

const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/passkey-page.js": { file: "passkey-page.js", type: "text/javascript; charset=utf-8" },
};

export interface PasskeyPage {
  /** http://localhost:<port>: what latchkey's WEBAUTHN_RP_ORIGINS and CORS_ORIGINS must name. */
  origin: string;
  /**
   * The page's address, talking to the latchkey at `latchkeyUrl`; with `json: "native"` the page converts with the
   * browser's own PublicKeyCredential.parse*OptionsFromJSON and toJSON instead of its own code.
   */
  urlFor(latchkeyUrl: string, options?: { json?: "native" }): string;
  stop(): void;
}

export function servePasskeyPage(): PasskeyPage {
  const site = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const served = FILES[new URL(request.url).pathname];
      if (!served) return new Response("not found", { status: 404 });
      return new Response(Bun.file(join(import.meta.dir, "passkey-page", served.file)), { headers: { "content-type": served.type } });
    },
  });
  const origin = `http://localhost:${site.port}`;
  return {
    origin,
    urlFor: (latchkeyUrl, options = {}) => `${origin}/?latchkey=${encodeURIComponent(latchkeyUrl)}${options.json ? `&json=${options.json}` : ""}`,
    stop: () => site.stop(true),
  };
}
