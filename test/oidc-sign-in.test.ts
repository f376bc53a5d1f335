// Sign-in with an OpenID Connect provider (issue 26), end to end: a real OpenID Provider (oidc-provider, in this
// process: test/support/openid-provider.ts), latchkey as a user runs it, and a browser with a cookie jar following
// every redirect by hand (test/support/browser.ts). New, returning and joined accounts; the state's binding to the
// browser and its single use; ID tokens tampered with by the provider's own hooks; a rotated provider key; disabled
// accounts; linking and unlinking; redirect_to; TOTP; the session's rotation and reuse detection; the other APIs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTokenCipher } from "../src/lib/token-cipher.ts";
import { queryDatabase } from "./support/backend.ts";
import { CookieJarBrowser as Browser, type BrowserResponse } from "./support/cookie-jar-browser.ts";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import { startOpenIdProvider, type TestAccount, type TestOpenIdProvider } from "./support/openid-provider.ts";
import { closedPort } from "./support/ports.ts";
import { rememberSecret } from "./support/secrets.ts";
import { metricValue } from "./support/metrics.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { SoftwareAuthenticator } from "./support/software-authenticator.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

const APP = "http://app.example.test";
const SUCCESS = `${APP}/signed-in`;
const FAILURE = `${APP}/sign-in-failed`;
const CLIENT_SECRET = "oidc-test-client-secret-0123456789";
const COOKIE_SECRET = "oidc-test-cookie-secret-0123456789";
const PASSWORD = "password-123";
const PASSKEY_ORIGIN = "http://localhost:5173";
const METRICS_TOKEN = "oidc-metrics-token-0123456789";
rememberSecret("client_secret", CLIENT_SECRET);

let op: TestOpenIdProvider;
let server: TestServer;

beforeAll(async () => {
  op = await startOpenIdProvider();
  const port = await closedPort();
  const publicUrl = `http://127.0.0.1:${port}`;
  await op.setClients([{ client_id: "latchkey", client_secret: CLIENT_SECRET, redirect_uris: [`${publicUrl}/auth/providers/test/callback`, `${publicUrl}/auth/providers/other/callback`] }]);
  server = await startServer({
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    OIDC_PROVIDERS: "test,other",
    OIDC_TEST_ISSUER: op.issuer,
    OIDC_TEST_CLIENT_ID: "latchkey",
    OIDC_TEST_CLIENT_SECRET: CLIENT_SECRET,
    // A second provider (the same identity provider under another name): two unlinks race in one test.
    OIDC_OTHER_ISSUER: op.issuer,
    OIDC_OTHER_CLIENT_ID: "latchkey",
    OIDC_OTHER_CLIENT_SECRET: CLIENT_SECRET,
    PROVIDER_SUCCESS_REDIRECT: SUCCESS,
    PROVIDER_FAILURE_REDIRECT: FAILURE,
    REDIRECT_URL_ALLOWLIST: `${SUCCESS},${APP}/elsewhere`,
    PROVIDER_KEEP_TOKENS: "true",
    COOKIE_SECRET,
    // A spent refresh token presented again is reuse at once (the reuse test).
    REFRESH_REUSE_GRACE_SECONDS: "0",
    LNCRAWL_ENABLED: "true",
    WOLFPAL_ENABLED: "true",
    ADMIN_EMAIL: "root@example.com",
    ADMIN_PASSWORD: "root-password-1",
    FAROE_CREDENTIAL,
    METRICS_ENABLED: "true",
    METRICS_TOKEN,
    // Passkeys beside the provider: removals of both kinds race in one test.
    WEBAUTHN_ENABLED: "true",
    WEBAUTHN_RP_ID: "localhost",
    WEBAUTHN_RP_ORIGINS: PASSKEY_ORIGIN,
  });
});
afterAll(async () => {
  if (process.env.SHOW_LOG) console.log(server.output());
  await server?.stop();
  await op?.close();
});

/** A person at the provider, with a subject and address of their own. */
function person(claims: TestAccount = {}, tag = "person"): { subject: string; email: string } {
  const id = crypto.randomUUID().slice(0, 8);
  const subject = `${tag}-${id}`;
  const email = claims.email ?? `${tag}-${id}@example.com`;
  op.accounts.set(subject, { email, email_verified: true, ...claims });
  return { subject, email };
}

/** Where a flow starts: the provider (default "test"), a query, another server; headers for the start only. */
interface FlowOptions {
  query?: string;
  provider?: string;
  server?: TestServer;
  headers?: Record<string, string>;
}

interface Flow {
  /** The last answer: latchkey's redirect to the app (success or failure URL), or whatever stopped the flow. */
  response: BrowserResponse;
  /** Where latchkey sent the browser at the end, when it is the app. */
  landing: URL | null;
}

/**
 * Starts a sign-in at latchkey and follows the redirects through the provider (signing in as `subject` there) until
 * the provider sends the browser back to latchkey's callback; that URL, not yet followed.
 */
async function toCallback(browser: Browser, subject: string, options: FlowOptions = {}): Promise<URL> {
  const at = options.server ?? server;
  let response = await browser.request(`${at.url}/auth/providers/${options.provider ?? "test"}${options.query ?? ""}`, { headers: options.headers });
  for (let hop = 0; hop < 20; hop++) {
    const next = response.location;
    if (next === null) throw new Error(`the flow stopped at ${response.url}: ${response.status} ${response.text}`);
    if (next.pathname.endsWith("/callback") && next.origin === at.url) {
      const code = next.searchParams.get("code");
      if (code) rememberSecret("authorization code", code);
      return next;
    }
    if (next.origin === APP) throw new Error(`latchkey answered before the provider: ${next}`);
    if (/^\/interaction\/[^/]+$/.test(next.pathname)) {
      await browser.request(next);
      response = await browser.request(new URL(`${next.pathname}/login`, next), { form: { account: subject } });
      continue;
    }
    response = await browser.request(next);
  }
  throw new Error("too many redirects");
}

/** Follows the callback; where latchkey sends the browser. */
async function finish(browser: Browser, callback: URL): Promise<Flow> {
  const response = await browser.request(callback);
  return { response, landing: response.location?.origin === APP ? response.location : null };
}

async function signIn(browser: Browser, subject: string, options: FlowOptions = {}): Promise<Flow> {
  return finish(browser, await toCallback(browser, subject, options));
}

/** The landing's parameters, after checking it is the success URL (or `at`). */
function succeeded(flow: Flow, at = SUCCESS): URLSearchParams {
  expect(flow.landing?.searchParams.get("error") ?? null).toBeNull();
  expect(`${flow.landing!.origin}${flow.landing!.pathname}`).toBe(at);
  return flow.landing!.searchParams;
}

/** The failure's code, after checking the browser got no session. */
function failedWith(flow: Flow): string | null {
  expect(`${flow.landing!.origin}${flow.landing!.pathname}`).toBe(FAILURE);
  expect(flow.response.headers.getSetCookie().some((cookie) => cookie.startsWith("refresh_token=") && !cookie.startsWith("refresh_token=;"))).toBe(false);
  expect(flow.landing!.searchParams.get("refresh_token")).toBeNull();
  expect(flow.landing!.searchParams.get("error_description")).toBeTruthy();
  return flow.landing!.searchParams.get("error");
}

/** The session a refresh token belongs to, rotated once: the user and the new tokens. */
async function refreshed(refreshToken: string) {
  const res = await call(server.url, "GET", `/auth/token/refresh?refresh_token=${refreshToken}`);
  expect(res.status).toBe(200);
  return res.body as { jwt_token: string; refresh_token: string; user: { id: string; email: string; display_name: string; avatar_url?: string } };
}

async function signedInUser(subject: string) {
  return refreshed(succeeded(await signIn(new Browser(), subject)).get("refresh_token")!);
}

async function identityRows(subject: string) {
  return queryDatabase<{ user_id: string; email: string | null; last_used_at: number | string | null; access_token_encrypted: string | null }>(
    server.dataDir,
    "SELECT user_id, email, last_used_at, access_token_encrypted FROM user_identities WHERE provider = ? AND subject = ?",
    ["test", subject],
  );
}

async function userRow(id: string) {
  const [row] = await queryDatabase<{ email_verified: boolean | number; password_hash: string | null; disabled: boolean | number }>(
    server.dataDir,
    "SELECT email_verified, password_hash, disabled FROM users WHERE id = ?",
    [id],
  );
  return row!;
}

async function register(email: string): Promise<{ id: string; jwt: string }> {
  const res = await call(server.url, "POST", "/auth/register", { json: { email, password: PASSWORD, cookie: false } });
  expect(res.status).toBe(200);
  return { id: res.body.user.id, jwt: res.body.jwt_token };
}

const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

describe("signing in", () => {
  test("a new user: an active account without a password, the profile's name and picture, HBP's cookies and ?refresh_token=", async () => {
    const { subject, email } = person({ name: "Ada Lovelace", picture: "https://img.example.test/ada.png" }, "new");
    const browser = new Browser();
    const flow = await signIn(browser, subject);
    const params = succeeded(flow);
    expect(params.get("refresh_token")).toMatch(/^[0-9a-f-]{36}$/);
    const setCookies = flow.response.headers.getSetCookie();
    expect(setCookies.some((cookie) => cookie.startsWith("refresh_token=s%3A"))).toBe(true);
    expect(setCookies.some((cookie) => cookie.startsWith("permission_variables=s%3A"))).toBe(true);
    // The state cookie is spent.
    expect(setCookies.some((cookie) => /^provider_state=;.*Path=\/auth\/providers/.test(cookie))).toBe(true);

    const session = await refreshed(params.get("refresh_token")!);
    expect(session.user).toMatchObject({ email, display_name: "Ada Lovelace", avatar_url: "https://img.example.test/ada.png" });
    const row = await userRow(session.user.id);
    expect(Boolean(row.email_verified)).toBe(true);
    expect(row.password_hash).toBeNull();
    const [identity] = await identityRows(subject);
    expect(identity).toMatchObject({ user_id: session.user.id, email });
  });

  test("the state cookie: signed, HttpOnly, SameSite=Lax, only for /auth/providers, ten minutes", async () => {
    const res = await new Browser().request(`${server.url}/auth/providers/test`);
    expect(res.status).toBe(302);
    expect(res.location!.origin).toBe(op.issuer);
    const [cookie] = res.headers.getSetCookie().filter((header) => header.startsWith("provider_state="));
    expect(cookie).toMatch(/^provider_state=s%3A[A-Za-z0-9_-]{43}\.[A-Za-z0-9%]+; Max-Age=600; Path=\/auth\/providers; .*HttpOnly; SameSite=Lax$/);
    // The provider is asked for the code flow with PKCE (S256), a state and a nonce.
    const asked = res.location!.searchParams;
    expect(asked.get("response_type")).toBe("code");
    expect(asked.get("code_challenge_method")).toBe("S256");
    expect(asked.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(asked.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(asked.get("scope")).toBe("openid email profile");
    expect(asked.get("redirect_uri")).toBe(`${server.url}/auth/providers/test/callback`);
    expect(cookie).toContain(encodeURIComponent(`s:${asked.get("state")}.`));
  });

  test("a returning user: the same account, and last_used_at moves", async () => {
    const { subject } = person({}, "returning");
    const first = await signedInUser(subject);
    const [before] = await identityRows(subject);
    const second = await signedInUser(subject);
    expect(second.user.id).toBe(first.user.id);
    const [after] = await identityRows(subject);
    expect(Number(after!.last_used_at)).toBeGreaterThan(Number(before!.last_used_at));
    expect(await identityRows(subject)).toHaveLength(1);
  });

  test("a verified address joins the existing account with it when that account's own address is verified", async () => {
    const email = `joined-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const existing = await register(email);
    await queryDatabase(server.dataDir, "UPDATE users SET email_verified = ? WHERE id = ?", [true, existing.id]);
    const { subject } = person({ email: email.toUpperCase() }, "joined");
    const session = await signedInUser(subject);
    expect(session.user.id).toBe(existing.id);
    const [identity] = await identityRows(subject);
    expect(identity!.user_id).toBe(existing.id);
    // The password still works: joining took nothing away.
    expect((await call(server.url, "POST", "/auth/login", { json: { email, password: PASSWORD } })).status).toBe(200);
  });

  test("an unverified address that belongs to an account: email_in_use, no identity, no session", async () => {
    const email = `unverified-${crypto.randomUUID().slice(0, 8)}@example.com`;
    await register(email);
    const { subject } = person({ email, email_verified: false }, "unverified");
    expect(failedWith(await signIn(new Browser(), subject))).toBe("email_in_use");
    expect(await identityRows(subject)).toEqual([]);
  });

  test("an account whose own address was never proved is not joined, even by a verified address (pre-hijacking): email_in_use", async () => {
    // Whoever registered it chose its password; the address's owner signs in with that password and links instead.
    const email = `unproved-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const { id } = await register(email);
    expect(Boolean((await userRow(id)).email_verified)).toBe(false);
    const { subject } = person({ email }, "unproved");
    expect(failedWith(await signIn(new Browser(), subject))).toBe("email_in_use");
    expect(await identityRows(subject)).toEqual([]);
    // Nor one never activated.
    await queryDatabase(server.dataDir, "UPDATE users SET active = ? WHERE id = ?", [false, id]);
    expect(failedWith(await signIn(new Browser(), subject))).toBe("email_in_use");
    expect(await identityRows(subject)).toEqual([]);
  });

  test("the provider's tokens are kept sealed (PROVIDER_KEEP_TOKENS): the column is not the token, and opens to it with the cookie secret's key", async () => {
    const { subject } = person({}, "tokens");
    await signedInUser(subject);
    const accessToken = op.lastAccessToken()!;
    rememberSecret("provider access token", accessToken);
    const [identity] = await identityRows(subject);
    const stored = identity!.access_token_encrypted!;
    expect(stored).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(stored).not.toContain(accessToken);
    const cipher = createTokenCipher({ secret: COOKIE_SECRET, purpose: "provider tokens", randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)) });
    expect(cipher.open(stored)).toBe(accessToken);
    // Another key does not open it.
    const other = createTokenCipher({ secret: `${COOKIE_SECRET}-other`, purpose: "provider tokens", randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)) });
    expect(() => other.open(stored)).toThrow();
  });

  test("a disabled account gets nothing: account_disabled, no session", async () => {
    const { subject } = person({}, "disabled");
    const { user } = await signedInUser(subject);
    await queryDatabase(server.dataDir, "UPDATE users SET disabled = ? WHERE id = ?", [true, user.id]);
    expect(failedWith(await signIn(new Browser(), subject))).toBe("account_disabled");
  });

  test("a user with TOTP gets ?mfa_ticket=, not a session, and finishes with POST /auth/mfa/totp", async () => {
    const { subject } = person({}, "totp");
    const { jwt_token } = await signedInUser(subject);
    const generated = await call(server.url, "POST", "/auth/mfa/generate", { headers: bearer(jwt_token) });
    await awayFromStepEdge();
    const enabled = await call(server.url, "POST", "/auth/mfa/enable", { headers: bearer(jwt_token), json: { code: totpCode(generated.body.otp_secret, -1) } });
    expect(enabled.status).toBe(204);

    const flow = await signIn(new Browser(), subject);
    const params = succeeded(flow);
    expect(params.get("refresh_token")).toBeNull();
    expect(flow.response.headers.getSetCookie().filter((cookie) => cookie.startsWith("refresh_token="))).toEqual([]);
    const ticket = params.get("mfa_ticket")!;
    expect(ticket).toMatch(/^[0-9a-f-]{36}$/);
    const session = await call(server.url, "POST", "/auth/mfa/totp", { json: { ticket, code: totpCode(generated.body.otp_secret), cookie: false } });
    expect(session.status).toBe(200);
    expect(session.body.refresh_token).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("the refresh token from the redirect is an ordinary session: it rotates, and a spent one presented again ends the session", async () => {
    const { subject } = person({}, "rotation");
    const first = succeeded(await signIn(new Browser(), subject)).get("refresh_token")!;
    const second = (await refreshed(first)).refresh_token;
    expect(second).not.toBe(first);
    expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${first}`)).status).toBe(401);
    // Reuse detection revoked the whole session: its current token too.
    expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${second}`)).status).toBe(401);
  });
});

describe("the state", () => {
  test("each provider sign-in is counted in /metrics by its result (latchkey_passwordless_sign_ins_total)", async () => {
    const counted = (result: string) => metricValue(server.url, METRICS_TOKEN, "latchkey_passwordless_sign_ins_total", { method: "provider", result });
    const before = { success: await counted("success"), failed: await counted("failed") };
    succeeded(await signIn(new Browser(), person({}, "counted").subject));
    const browser = new Browser();
    const callback = await toCallback(browser, person({}, "counted-wrong").subject);
    callback.searchParams.set("state", "not-the-state");
    expect(failedWith(await finish(browser, callback))).toBe("invalid_state");
    expect(await counted("success")).toBe(before.success + 1);
    expect(await counted("failed")).toBe(before.failed + 1);
  });

  test("a wrong state: invalid_state, no session", async () => {
    const browser = new Browser();
    const callback = await toCallback(browser, person({}, "wrong-state").subject);
    callback.searchParams.set("state", `${callback.searchParams.get("state")!.slice(0, -2)}xx`);
    expect(failedWith(await finish(browser, callback))).toBe("invalid_state");
  });

  test("a replayed state: the second use is invalid_state, even with the cookie back", async () => {
    const browser = new Browser();
    const { subject } = person({}, "replay");
    const callback = await toCallback(browser, subject);
    const stateCookie = browser.cookie(server.url, "provider_state")!;
    succeeded(await finish(browser, callback));
    expect(browser.cookie(server.url, "provider_state")).toBeUndefined();
    browser.setCookie(server.url, "provider_state", stateCookie, "/auth/providers");
    expect(failedWith(await finish(browser, callback))).toBe("invalid_state");
  });

  test("no state cookie (the callback in another browser): invalid_state; the state stays the starting browser's", async () => {
    const starting = new Browser();
    const { subject } = person({}, "other-browser");
    const callback = await toCallback(starting, subject);
    expect(failedWith(await finish(new Browser(), callback))).toBe("invalid_state");
    // Refused before it was used up: the browser that started finishes.
    succeeded(await finish(starting, callback));
  });

  test("an unsigned or forged state cookie counts as none", async () => {
    const browser = new Browser();
    const callback = await toCallback(browser, person({}, "forged").subject);
    browser.setCookie(server.url, "provider_state", encodeURIComponent(`s:${callback.searchParams.get("state")}.forged-signature`), "/auth/providers");
    expect(failedWith(await finish(browser, callback))).toBe("invalid_state");
  });

  test("the provider answering with an error (the person said no): access_denied, and the state is spent", async () => {
    const browser = new Browser();
    const start = await browser.request(`${server.url}/auth/providers/test`);
    const state = start.location!.searchParams.get("state")!;
    const flow = await finish(browser, new URL(`${server.url}/auth/providers/test/callback?error=access_denied&state=${state}`));
    expect(failedWith(flow)).toBe("access_denied");
  });
});

describe("the ID token, as the provider signs it", () => {
  test.each([
    ["a wrong nonce", { claim: "nonce", value: "not-the-nonce-we-sent" }],
    ["a wrong audience", { claim: "aud", value: "another-client" }],
    ["an expired token", { claim: "exp", value: Math.floor(Date.now() / 1000) - 3600 }],
    ["another issuer", { claim: "iss", value: "https://impostor.example.test" }],
    ["a key the provider never published", { foreignKey: true }],
  ] as const)("%s: invalid_id_token, no account, no session", async (_, change) => {
    const { subject } = person({}, "tampered");
    op.tamperNextIdToken(change);
    expect(failedWith(await signIn(new Browser(), subject))).toBe("invalid_id_token");
    expect(await identityRows(subject)).toEqual([]);
  });

  test("a rotated provider key: the next sign-in fetches the new JWKS and succeeds", async () => {
    const { subject } = person({}, "rotated");
    const first = await signedInUser(subject);
    const fetched = op.jwksFetches();
    const newKey = await op.rotateKeys();
    expect(newKey).not.toBe("key-1");
    const second = await signedInUser(subject);
    expect(second.user.id).toBe(first.user.id);
    expect(op.jwksFetches()).toBeGreaterThan(fetched);
  });
});

describe("redirect_to", () => {
  test("on REDIRECT_URL_ALLOWLIST (origin and path prefix): the browser lands there", async () => {
    const target = `${APP}/elsewhere/page?tab=1`;
    const flow = await signIn(new Browser(), person({}, "redirect").subject, { query: `?redirect_to=${encodeURIComponent(target)}` });
    const params = succeeded(flow, `${APP}/elsewhere/page`);
    expect(params.get("tab")).toBe("1");
    expect(params.get("refresh_token")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test.each([
    ["another origin", "https://evil.example.test/signed-in"],
    ["a path that only starts like a listed one", `${APP}/elsewhere-evil`],
    ["the same host on another port", "http://app.example.test:8080/signed-in"],
    ["not a URL", "javascript:alert(1)"],
  ])("off the list (%s): 400 at the start, no state", async (_, target) => {
    const res = await call(server.url, "GET", `/auth/providers/test?redirect_to=${encodeURIComponent(target)}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: "Bad Request", message: '"redirect_to" is not an allowed redirect URL (REDIRECT_URL_ALLOWLIST)' });
    expect(res.cookies).toEqual([]);
  });
});

describe("linking and unlinking", () => {
  /** A browser signed in to a password account through HBP's cookies. */
  async function signedInBrowser(): Promise<{ browser: Browser; id: string; email: string; jwt: string }> {
    const email = `linker-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const { id, jwt } = await register(email);
    const browser = new Browser();
    const login = await browser.request(`${server.url}/auth/login`, { json: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    return { browser, id, email, jwt };
  }

  test("?link=true with the session's cookies links the provider to that account, whatever its address", async () => {
    const { browser, id, jwt } = await signedInBrowser();
    const { subject, email } = person({}, "linked");
    const params = succeeded(await signIn(browser, subject, { query: "?link=true" }));
    expect(params.get("provider_linked")).toBe("test");
    expect(params.get("refresh_token")).toBeNull();
    const listed = await call(server.url, "GET", "/auth/user/providers", { headers: bearer(jwt) });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([{ provider: "test", email, created_at: expect.any(String), last_used_at: expect.any(String) }]);
    // From now on the provider signs in to that account.
    expect((await signedInUser(subject)).user.id).toBe(id);
  });

  test("?link=true with a Bearer access token works too", async () => {
    const { id, jwt } = await signedInBrowser();
    const { subject } = person({}, "linked-bearer");
    // The header on the start only: the rest of the flow is the browser's, without the account's cookies.
    const browser = new Browser();
    const start = await browser.request(`${server.url}/auth/providers/test?link=true`, { headers: bearer(jwt) });
    expect(start.status).toBe(302);
    let response = start;
    for (let hop = 0; hop < 10 && !response.location!.pathname.endsWith("/callback"); hop++) {
      const next = response.location!;
      if (/^\/interaction\/[^/]+$/.test(next.pathname)) {
        await browser.request(next);
        response = await browser.request(new URL(`${next.pathname}/login`, next), { form: { account: subject } });
      } else response = await browser.request(next);
    }
    expect(succeeded(await finish(browser, response.location!)).get("provider_linked")).toBe("test");
    expect((await identityRows(subject))[0]!.user_id).toBe(id);
  });

  test("?link=true without a session: 401 at the start", async () => {
    const res = await call(server.url, "GET", "/auth/providers/test?link=true");
    expect(res.status).toBe(401);
    expect(res.cookies).toEqual([]);
  });

  test("an identity that is another account's is not linked: identity_in_use", async () => {
    const { subject } = person({}, "taken");
    const owner = await signedInUser(subject);
    const { browser } = await signedInBrowser();
    expect(failedWith(await signIn(browser, subject, { query: "?link=true" }))).toBe("identity_in_use");
    expect((await identityRows(subject))[0]!.user_id).toBe(owner.user.id);
  });

  test("a link whose account was disabled before the provider answered: account_disabled, nothing linked", async () => {
    const { browser, id } = await signedInBrowser();
    const { subject } = person({}, "late-disabled");
    const callback = await toCallback(browser, subject, { query: "?link=true" });
    await queryDatabase(server.dataDir, "UPDATE users SET disabled = ? WHERE id = ?", [true, id]);
    expect(failedWith(await finish(browser, callback))).toBe("account_disabled");
    expect(await identityRows(subject)).toEqual([]);
  });

  test("unlink: DELETE /auth/user/providers/test; then the provider no longer signs in to the account", async () => {
    const { browser, id, jwt } = await signedInBrowser();
    const { subject } = person({}, "unlinked");
    succeeded(await signIn(browser, subject, { query: "?link=true" }));
    const removed = await call(server.url, "DELETE", "/auth/user/providers/test", { headers: bearer(jwt) });
    expect(removed.status).toBe(204);
    expect((await call(server.url, "GET", "/auth/user/providers", { headers: bearer(jwt) })).body).toEqual([]);
    expect(await identityRows(subject)).toEqual([]);
    const again = await call(server.url, "DELETE", "/auth/user/providers/test", { headers: bearer(jwt) });
    expect(again.status).toBe(404);
    expect(again.body.message).toBe("The account is not linked to this provider.");
    // The provider account is someone new now (its address is its own, verified: a new account).
    expect((await signedInUser(subject)).user.id).not.toBe(id);
    // Both are security events, at INFO (a record, not a failure a ban tool counts).
    await server.waitFor(new RegExp(`INFO security event=provider_linked ip=127\\.0\\.0\\.1 account=user:${id} reason=provider:test`));
    await server.waitFor(new RegExp(`INFO security event=provider_unlinked ip=127\\.0\\.0\\.1 account=user:${id} reason=provider:test`));
  });

  test("the last way to sign in is not unlinked (409) until the account has a password", async () => {
    const { subject } = person({}, "last");
    const { jwt_token, user } = await signedInUser(subject);
    const refused = await call(server.url, "DELETE", "/auth/user/providers/test", { headers: bearer(jwt_token) });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe("This is the account's last way to sign in; add another before removing it.");
    expect(await identityRows(subject)).toHaveLength(1);
    expect((await call(server.url, "POST", "/auth/change-password", { headers: bearer(jwt_token), json: { new_password: PASSWORD } })).status).toBe(204);
    expect((await call(server.url, "DELETE", "/auth/user/providers/test", { headers: bearer(jwt_token) })).status).toBe(204);
    expect((await userRow(user.id)).password_hash).not.toBeNull();
  });

  test("the provider unlinked while the only passkey is deleted, at once: one of the two is refused (409), the account keeps a way in", async () => {
    for (let round = 0; round < 5; round++) {
      const { subject } = person({}, "race");
      const { jwt_token } = await signedInUser(subject);
      const options = await call(server.url, "POST", "/auth/user/webauthn/add", { headers: bearer(jwt_token) });
      expect(options.status).toBe(200);
      const credential = await new SoftwareAuthenticator({ origin: PASSKEY_ORIGIN }).create(options.body);
      expect((await call(server.url, "POST", "/auth/user/webauthn/verify", { headers: bearer(jwt_token), json: { credential } })).status).toBe(200);

      const [unlinked, removed] = await Promise.all([
        call(server.url, "DELETE", "/auth/user/providers/test", { headers: bearer(jwt_token) }),
        call(server.url, "DELETE", `/auth/user/webauthn/${credential.id}`, { headers: bearer(jwt_token) }),
      ]);
      expect([unlinked.status, removed.status].sort()).toEqual([204, 409]);
      const passkeys = await call(server.url, "GET", "/auth/user/webauthn", { headers: bearer(jwt_token) });
      expect((await identityRows(subject)).length + passkeys.body.length).toBe(1);
    }
  });

  test("two providers unlinked at once from an account that has only them: one is refused (409), the account keeps a way in", async () => {
    for (let round = 0; round < 5; round++) {
      const { subject } = person({}, "race2");
      const { jwt_token } = await signedInUser(subject);
      const linking = { provider: "other", query: "?link=true", headers: bearer(jwt_token) };
      expect(succeeded(await signIn(new Browser(), subject, linking)).get("provider_linked")).toBe("other");

      const [first, second] = await Promise.all([
        call(server.url, "DELETE", "/auth/user/providers/test", { headers: bearer(jwt_token) }),
        call(server.url, "DELETE", "/auth/user/providers/other", { headers: bearer(jwt_token) }),
      ]);
      expect([first.status, second.status].sort()).toEqual([204, 409]);
      expect((await call(server.url, "GET", "/auth/user/providers", { headers: bearer(jwt_token) })).body).toHaveLength(1);
    }
  });

  test("the routes need a signed-in caller", async () => {
    expect((await call(server.url, "GET", "/auth/user/providers")).status).toBe(401);
    expect((await call(server.url, "DELETE", "/auth/user/providers/test")).status).toBe(401);
  });
});

describe("the other APIs", () => {
  test("an account made through the provider signs in through lncrawl and WolfPal only once it has a password; Faroe's user API shows it", async () => {
    const { subject, email } = person({}, "dialects");
    const { jwt_token, user } = await signedInUser(subject);
    const password = "chosen-password-1";
    expect((await call(server.url, "POST", "/api/auth/login", { json: { email, password } })).status).toBe(401);
    const wolfpal = await call(server.url, "POST", "/wolfpal/auth/login", { json: { email, password } });
    expect(wolfpal.status).toBe(400);
    expect(wolfpal.body.code).toBe("INVALID_CREDENTIALS");
    expect((await call(server.url, "POST", "/auth/login", { json: { email, password } })).status).toBe(401);

    const faroe = await call(server.url, "GET", `/faroe/users/${user.id}`, { headers: { authorization: FAROE_CREDENTIAL } });
    expect(faroe.status).toBe(200);
    expect(faroe.body).toMatchObject({ id: user.id, email, email_verified: true, registered_totp: false });

    // An account without a password sets its first one without the old one (HBP's rule).
    expect((await call(server.url, "POST", "/auth/change-password", { headers: bearer(jwt_token), json: { new_password: password } })).status).toBe(204);
    expect((await call(server.url, "POST", "/api/auth/login", { json: { email, password } })).status).toBe(200);
    expect((await call(server.url, "POST", "/wolfpal/auth/login", { json: { email, password } })).status).toBe(200);
  });
});

describe("routes and settings", () => {
  test("an unknown provider: HBP's 404 saying how to enable it", async () => {
    for (const path of ["/auth/providers/nope", "/auth/providers/nope/callback"]) {
      const res = await call(server.url, "GET", path);
      expect(res.status).toBe(404);
      expect(res.body.message).toBe('Sign-in with "nope" is disabled; add it to OIDC_PROVIDERS with its OIDC_NOPE_* settings');
    }
    const builtIn = await call(server.url, "GET", "/auth/providers/github");
    expect(builtIn.body.message).toBe('Sign-in with "github" is disabled; set GITHUB_ENABLED=true with its client settings');
  });

  test("the POST callback (form_post) reads a form, and refuses JSON with HBP's 400", async () => {
    const form = await new Browser().request(`${server.url}/auth/providers/test/callback`, { form: { state: "x".repeat(43), code: "y" } });
    expect(form.status).toBe(302);
    expect(form.location!.searchParams.get("error")).toBe("invalid_state");
    const json = await call(server.url, "POST", "/auth/providers/test/callback", { json: { state: "x" } });
    expect(json.status).toBe(400);
    expect(json.body.message).toBe("This API reads form (application/x-www-form-urlencoded) request bodies.");
  });

  test("a failure is a security event, and nothing of the flow's secrets reaches the log", async () => {
    const browser = new Browser();
    const callback = await toCallback(browser, person({}, "logged").subject);
    await finish(new Browser(), callback);
    const output = await server.waitFor(/security event=provider_sign_in_failed ip=127\.0\.0\.1 account=provider:test reason=invalid_state/);
    expect(output[0]).toBeTruthy();
    const log = server.output();
    expect(log).not.toContain(callback.searchParams.get("state")!);
    expect(log).not.toContain(callback.searchParams.get("code")!);
  });
});
