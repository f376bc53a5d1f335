// A real browser for the tests that need one (passkeys, the console): Debian's chromium driven by playwright-core,
// which never downloads a browser (it is told where chromium is). Each page gets a context of its own (no cookies or
// storage shared between tests), a log of every request it makes (so a test can show that nothing leaves loopback),
// the errors its scripts hit, screenshots under .ci/logs/screenshots/ (CI keeps .ci/logs), and, on request, a CDP
// virtual authenticator (a passkey device the browser believes in).
//
// What the page sends and is answered also feeds the suite's secrets check (./secrets.ts): a token a page got from
// latchkey must not show in latchkey's log, as for the tests' own calls (./http.ts).
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page, type Request } from "playwright-core";
import { rememberAnswerSecrets, rememberRequestSecrets } from "./secrets.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** Where screenshots go, from the repository root whatever the working directory (CI keeps .ci/logs). */
export const SCREENSHOTS_DIR = join(ROOT, ".ci/logs/screenshots");

/** Debian's chromium (apt-get install chromium), or the one CHROMIUM_PATH names. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(`no chromium at ${path}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return path;
}

export interface TestBrowser {
  /** A fresh page in a context of its own; 1280x800 unless `viewport` says otherwise. */
  newPage(options?: { viewport?: { width: number; height: number } }): Promise<TestPage>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Chromium's sandbox cannot start as root (CI runs as root): --no-sandbox there only, the sandbox elsewhere.
    chromiumSandbox: process.getuid?.() !== 0,
  });
  return {
    async newPage(options = {}) {
      const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
      const requests = await recordRequests(context);
      const page = await context.newPage();
      return testPage(context, page, requests);
    },
    close: () => browser.close(),
  };
}

export interface TestPage {
  page: Page;
  /** Every request the page (and anything it opened) made. */
  requests: RequestLog;
  /** Uncaught script errors and console errors (a refused fetch, a CSP violation), in order. */
  problems(): string[];
  /** Saves a screenshot of the whole page as SCREENSHOTS_DIR/<name>.png; its path. */
  screenshot(name: string): Promise<string>;
  /** A CDP virtual authenticator for this page (see addVirtualAuthenticator). */
  virtualAuthenticator(options?: VirtualAuthenticatorOptions): Promise<VirtualAuthenticator>;
  close(): Promise<void>;
}

function testPage(context: BrowserContext, page: Page, requests: RequestLog & { settled(): Promise<void> }): TestPage {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  let cdp: CDPSession | undefined;
  return {
    page,
    requests,
    problems: () => [...problems],
    screenshot: (name) => saveScreenshot(page, name),
    async virtualAuthenticator(options) {
      cdp ??= await context.newCDPSession(page);
      return addVirtualAuthenticator(cdp, options);
    },
    async close() {
      await context.close();
      await requests.settled();
    },
  };
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`screenshot name "${name}": letters, digits, . _ - only`);
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// ---------------------------------------------------------------------------------------------------------------
// The request log

export interface RecordedRequest {
  method: string;
  url: string;
  /** Playwright's resource type: "document", "script", "fetch", "image", "websocket" ... */
  resourceType: string;
  /** The request body, when it had one. */
  body: string | null;
}

export interface RequestLog {
  all(): RecordedRequest[];
  /** `METHOD url` of each request to anywhere but this machine (see isLoopback): what must stay empty. */
  offLoopback(): string[];
}

/** Whether `url` stays on this machine: 127.0.0.0/8, ::1, localhost, or no network at all (data:, blob:, about:). */
export function isLoopback(url: string): boolean {
  const parsed = new URL(url);
  if (["data:", "blob:", "about:"].includes(parsed.protocol)) return true;
  const host = parsed.hostname;
  return /^127(?:\.\d{1,3}){3}$/.test(host) || host === "[::1]" || host === "localhost" || host.endsWith(".localhost");
}

/**
 * Records every request of `context` (its pages, their frames and workers, their WebSockets) and aborts those that
 * would leave loopback: a test never waits on the network, and a stray request still shows in offLoopback().
 */
async function recordRequests(context: BrowserContext): Promise<RequestLog & { settled(): Promise<void> }> {
  const recorded: RecordedRequest[] = [];
  const pending = new Set<Promise<void>>();
  context.on("request", (request: Request) => {
    const body = request.postData();
    recorded.push({ method: request.method(), url: request.url(), resourceType: request.resourceType(), body });
    rememberRequestSecrets(body ?? undefined, request.headers());
    rememberQuerySecrets(request.url());
  });
  context.on("response", (response) => {
    if (!response.headers()["content-type"]?.includes("json")) return;
    // Read while the page lives; close() waits for these, so the secrets are known before a server stops.
    const read = response
      .json()
      .then(async (body) => rememberAnswerSecrets(body, (await response.headersArray()).filter((h) => h.name.toLowerCase() === "set-cookie").map((h) => h.value)))
      .catch(() => {}) // a body that is gone (the page navigated) or is not JSON after all
      .finally(() => pending.delete(read));
    pending.add(read);
  });
  const watchSockets = (page: Page) =>
    page.on("websocket", (socket) => recorded.push({ method: "GET", url: socket.url(), resourceType: "websocket", body: null }));
  context.on("page", watchSockets);
  await context.route((url) => !isLoopback(url.href), (route) => route.abort("blockedbyclient"));
  return {
    all: () => [...recorded],
    offLoopback: () => recorded.filter((request) => !isLoopback(request.url)).map((request) => `${request.method} ${request.url}`),
    settled: async () => {
      await Promise.all([...pending]);
    },
  };
}

/** Secret query parameters (`?refresh_token=` ...) of a URL the page asked for. */
function rememberQuerySecrets(url: string): void {
  const fields: Record<string, string> = {};
  for (const [key, value] of new URL(url).searchParams) fields[key] = value;
  rememberRequestSecrets(fields);
}

// ---------------------------------------------------------------------------------------------------------------
// The virtual authenticator

/** The CDP options (WebAuthn.VirtualAuthenticatorOptions); a platform passkey device by default. */
export interface VirtualAuthenticatorOptions {
  protocol?: "ctap2" | "u2f";
  transport?: "internal" | "usb" | "nfc" | "ble" | "cable";
  hasResidentKey?: boolean;
  hasUserVerification?: boolean;
  isUserVerified?: boolean;
  automaticPresenceSimulation?: boolean;
}

/** A credential the virtual authenticator holds, as CDP's WebAuthn.getCredentials answers it (the fields tests read). */
export interface VirtualCredential {
  /** base64 (not base64url), as CDP writes it. */
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  /** base64 of the user handle the relying party gave at registration. */
  userHandle?: string;
  signCount: number;
}

export interface VirtualAuthenticator {
  id: string;
  credentials(): Promise<VirtualCredential[]>;
  remove(): Promise<void>;
}

/**
 * A passkey device on the page behind `cdp`: CTAP2 over the "internal" transport (a platform authenticator such as
 * Touch ID or Windows Hello) that keeps discoverable credentials, verifies the user and consents without a click, so
 * navigator.credentials.create() and .get() complete on their own. It lives as long as the page.
 */
export async function addVirtualAuthenticator(cdp: CDPSession, options: VirtualAuthenticatorOptions = {}): Promise<VirtualAuthenticator> {
  await cdp.send("WebAuthn.enable", {});
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      ...options,
    },
  });
  return {
    id: authenticatorId,
    async credentials() {
      const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
      return credentials.map(({ credentialId, isResidentCredential, rpId, userHandle, signCount }) => ({ credentialId, isResidentCredential, rpId, userHandle, signCount }));
    },
    remove: async () => {
      await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
    },
  };
}
