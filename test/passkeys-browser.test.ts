// Passkeys in a real browser (issue 27): Debian's chromium with a CDP virtual authenticator, on a test page served on
// localhost that calls latchkey's HBP routes across origins (test/support/passkey-page/). Sign up with a passkey,
// sign out, sign in with it without an address (a discoverable credential); latchkey must see the same user (the
// page refreshes its session and lists the user's passkeys with it), and the authenticator must hold one credential. The API's own cases (replays, clones, wrong origins ...) are tested
// without a browser; this checks what only a browser can: its WebAuthn, its secure-context and CORS rules, the
// page's conversions. Runs once, on the default backend (test/run.sh): nothing here depends on the database.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { launchBrowser, type TestBrowser, type TestPage } from "./support/browser.ts";
import { call } from "./support/http.ts";
import { servePasskeyPage, type PasskeyPage } from "./support/passkey-page.ts";
import { startServer, type TestServer } from "./support/server.ts";

let page: PasskeyPage;
let server: TestServer;
let browser: TestBrowser;

beforeAll(async () => {
  page = servePasskeyPage();
  server = await startServer({
    WEBAUTHN_ENABLED: "true",
    WEBAUTHN_RP_ID: "localhost",
    WEBAUTHN_RP_ORIGINS: page.origin,
    // Only the page's origin may call across origins (the default, *, would hide a missing CORS header for it).
    CORS_ORIGINS: page.origin,
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  page?.stop();
});

/** Clicks a button of the page and waits until it is done; the state it ended in, with the status text on failure. */
async function press(tab: TestPage, button: string): Promise<{ state: string; userId: string | null; text: string }> {
  await tab.page.click(`#${button}`);
  const status = tab.page.locator("#status:not([data-state=busy])");
  await status.waitFor();
  const state = (await status.getAttribute("data-state"))!;
  // The page as it was when a step failed, kept with CI's logs beside the assertion's message.
  if (state === "error") await tab.screenshot(`passkeys-failed-${button}`);
  return { state, userId: await status.getAttribute("data-user-id"), text: (await status.textContent())! };
}

test("sign up with a passkey, sign out, sign in with it without an address: the same user, one credential", async () => {
  const email = `passkey-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const tab = await browser.newPage();
  try {
    const authenticator = await tab.virtualAuthenticator();
    await tab.page.goto(page.urlFor(server.url));

    await tab.page.fill("#email", email);
    const signedUp = await press(tab, "sign-up");
    expect(signedUp).toMatchObject({ state: "signed-in", text: expect.stringContaining(`Signed in as ${email}`) });
    expect(signedUp.userId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await tab.page.locator("#passkeys li").allTextContents()).toEqual(["Test browser (internal)"]);

    const credentials = await authenticator.credentials();
    expect(credentials).toHaveLength(1);
    // Discoverable, for this RP ID, and bound to the account: the user handle latchkey gave is the account's id.
    expect(credentials[0]).toMatchObject({ rpId: "localhost", isResidentCredential: true });
    expect(Buffer.from(credentials[0]!.userHandle ?? "", "base64").toString()).toBe(signedUp.userId!);

    expect(await press(tab, "sign-out")).toMatchObject({ state: "signed-out", userId: null });
    // Signing out ended the session in latchkey, not only in the page: its refresh token (sent to /auth/logout) is dead.
    const logout = tab.requests.all().find((request) => new URL(request.url).pathname === "/auth/logout");
    const refreshToken = new URL(logout!.url).searchParams.get("refresh_token")!;
    expect(refreshToken).toMatch(/^[0-9a-f-]{36}$/);
    expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${refreshToken}`)).status).toBe(401);

    const signedIn = await press(tab, "sign-in");
    expect(signedIn).toMatchObject({ state: "signed-in", userId: signedUp.userId, text: expect.stringContaining(`Signed in as ${email}`) });
    // Still the one passkey, now used once more (the virtual authenticator counts signatures).
    const after = await authenticator.credentials();
    expect(after).toHaveLength(1);
    expect(after[0]!.credentialId).toBe(credentials[0]!.credentialId);
    expect(after[0]!.signCount).toBeGreaterThan(credentials[0]!.signCount);
    await tab.screenshot("passkeys-signed-in");

    // The sign-in asked for no address: latchkey offered the ceremony to any passkey of this site.
    const asked = tab.requests.all().filter((request) => request.method === "POST" && new URL(request.url).pathname === "/auth/signin/webauthn");
    expect(asked.map((request) => JSON.parse(request.body ?? "null"))).toEqual([{}]);
    // Everything the page did stayed on this machine: the page itself and latchkey, nothing else.
    expect(tab.requests.offLoopback()).toEqual([]);
    const hosts = new Set(tab.requests.all().map((request) => new URL(request.url).origin));
    expect([...hosts].sort()).toEqual([page.origin, server.url].sort());
    expect(tab.problems()).toEqual([]);

    // The address has an account latchkey knows, with no password: the passkey is its only way in.
    const password = await call(server.url, "POST", "/auth/login", { json: { email, password: "not-its-password-1", cookie: false } });
    expect(password.status).toBe(401);
  } finally {
    await tab.close();
  }
});

test("the browser's own JSON helpers (parse*OptionsFromJSON, toJSON), as the README shows, and a sign-in with the address", async () => {
  const email = `native-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const tab = await browser.newPage();
  try {
    const authenticator = await tab.virtualAuthenticator();
    await tab.page.goto(page.urlFor(server.url, { json: "native" }));

    await tab.page.fill("#email", email);
    const signedUp = await press(tab, "sign-up");
    expect(signedUp).toMatchObject({ state: "signed-in", text: expect.stringContaining(`Signed in as ${email}`) });
    // Chromium's toJSON() wrote it (the page's own conversion sends no publicKeyAlgorithm), and latchkey's schema,
    // which refuses fields it does not know, took it.
    const sent = tab.requests.all().find((request) => new URL(request.url).pathname === "/auth/signup/webauthn/verify");
    expect(Object.keys(JSON.parse(sent!.body!).credential.response)).toEqual(expect.arrayContaining(["attestationObject", "publicKeyAlgorithm"]));

    expect((await press(tab, "sign-out")).state).toBe("signed-out");
    await tab.page.check("#with-email");
    expect(await press(tab, "sign-in")).toMatchObject({ state: "signed-in", userId: signedUp.userId });
    const asked = tab.requests.all().filter((request) => request.method === "POST" && new URL(request.url).pathname === "/auth/signin/webauthn");
    expect(asked.map((request) => JSON.parse(request.body ?? "null"))).toEqual([{ email }]);

    expect(await authenticator.credentials()).toHaveLength(1);
    expect(tab.requests.offLoopback()).toEqual([]);
    expect(tab.problems()).toEqual([]);
  } finally {
    await tab.close();
  }
});
