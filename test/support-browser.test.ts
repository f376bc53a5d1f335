// test/support/browser.ts, which the passkey and console browser tests stand on: chromium starts from its
// executablePath, the CDP virtual authenticator makes and uses a passkey on a localhost page, the request log sees
// every request (so "nothing left loopback" means something) and blocks those that leave, screenshots land in
// .ci/logs/screenshots/ under the repository root.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { eventually } from "./support/eventually.ts";
import { launchBrowser, SCREENSHOTS_DIR, type TestBrowser } from "./support/browser.ts";

let browser: TestBrowser;
// A page of our own on loopback; served under the name localhost, a secure context, as WebAuthn needs.
let site: ReturnType<typeof Bun.serve>;
let origin: string;

const PAGES: Record<string, string> = {
  // A local ceremony, no server: what matters is that the browser accepts the device and the device keeps the key.
  "/": `<!doctype html><title>support</title><h1>browser support</h1>
    <script>
      const random = (length) => crypto.getRandomValues(new Uint8Array(length));
      async function ceremony() {
        const created = await navigator.credentials.create({
          publicKey: {
            challenge: random(32),
            rp: { id: "localhost", name: "support test" },
            user: { id: random(16), name: "someone", displayName: "Someone" },
            pubKeyCredParams: [{ type: "public-key", alg: -7 }],
            authenticatorSelection: { residentKey: "required", userVerification: "required" },
          },
        });
        // No allowCredentials: the device must find the passkey by itself (discoverable).
        const used = await navigator.credentials.get({ publicKey: { challenge: random(32), rpId: "localhost", userVerification: "required" } });
        const flags = new Uint8Array(used.response.authenticatorData)[32];
        return { created: created.id, used: used.id, userVerified: (flags & 0x04) !== 0 };
      }
    </script>`,
  // A page that reaches out: a fetch and an image to addresses off this machine (TEST-NET-1 and a reserved name),
  // one fetch home, and an uncaught error.
  "/leaky": `<!doctype html><title>leaky</title><img src="http://example.invalid/pixel.png">
    <script>
      fetch("/data.json").then((r) => r.json()).then((d) => (document.title = d.title));
      fetch("http://192.0.2.1/collect", { method: "POST", body: "hello" }).catch(() => (document.body.dataset.blocked = "yes"));
      setTimeout(() => { throw new Error("boom from the page"); });
    </script>`,
  "/data.json": JSON.stringify({ title: "from home" }),
};

beforeAll(async () => {
  site = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const path = new URL(request.url).pathname;
      const body = PAGES[path];
      if (body === undefined) return new Response("not found", { status: 404 });
      return new Response(body, { headers: { "content-type": path.endsWith(".json") ? "application/json" : "text/html" } });
    },
  });
  origin = `http://localhost:${site.port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  site?.stop(true);
});

test("the virtual authenticator makes a discoverable passkey on a localhost page and signs with it", async () => {
  const tab = await browser.newPage();
  try {
    const authenticator = await tab.virtualAuthenticator();
    await tab.page.goto(`${origin}/`);
    const ids = (await tab.page.evaluate("ceremony()")) as { created: string; used: string; userVerified: boolean };
    expect(ids.used).toBe(ids.created);
    expect(ids.userVerified).toBe(true);

    const credentials = await authenticator.credentials();
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ rpId: "localhost", isResidentCredential: true });
    expect(Buffer.from(credentials[0]!.credentialId, "base64").toString("base64url")).toBe(ids.created);
    expect(tab.problems()).toEqual([]);
  } finally {
    await tab.close();
  }
});

test("the request log records every request, names and blocks those that leave loopback, and errors are collected", async () => {
  const tab = await browser.newPage();
  try {
    await tab.page.goto(`${origin}/leaky`);
    await tab.page.waitForFunction('document.title === "from home" && document.body.dataset.blocked === "yes"');
    await eventually(() => tab.problems().some((problem) => problem.includes("boom from the page")), { what: "the page's error collected" });

    const urls = tab.requests.all().map((request) => `${request.method} ${request.url}`);
    expect(urls).toContain(`GET ${origin}/leaky`);
    expect(urls).toContain(`GET ${origin}/data.json`);
    expect(tab.requests.offLoopback().sort()).toEqual(["GET http://example.invalid/pixel.png", "POST http://192.0.2.1/collect"]);
    expect(tab.requests.all().find((request) => request.url === "http://192.0.2.1/collect")?.body).toBe("hello");
  } finally {
    await tab.close();
  }
});

test("a screenshot is a PNG in .ci/logs/screenshots/ under the repository root", async () => {
  expect(SCREENSHOTS_DIR).toBe(join(resolve(import.meta.dir, ".."), ".ci/logs/screenshots"));
  const tab = await browser.newPage({ viewport: { width: 390, height: 844 } });
  try {
    await tab.page.goto(`${origin}/`);
    const path = await tab.screenshot("support-browser");
    expect(path).toBe(join(SCREENSHOTS_DIR, "support-browser.png"));
    const png = readFileSync(path);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(390); // the IHDR width: the viewport asked for
    await expect(tab.screenshot("../outside")).rejects.toThrow("letters, digits");
  } finally {
    await tab.close();
  }
});
