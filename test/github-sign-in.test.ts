// The built-in providers through latchkey's HBP routes (issue 26), as a user runs latchkey: GitHub end to end through
// HBP's GITHUB_AUTHORIZATION_URL/TOKEN_URL/USER_PROFILE_URL pointed at a small GitHub on a loopback port
// (test/support/fake-github.ts), with a browser that keeps cookies and follows redirects by hand; every other
// built-in provider's start, which must send the browser to the provider's real authorization endpoint with the
// right client, callback, scopes, state, PKCE and nonce (no network needed); Apple's form_post callback; and each
// provider turned on without its client stopping start-up, naming the variable.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { queryDatabase } from "./support/backend.ts";
import { CookieJarBrowser as Browser, type BrowserResponse } from "./support/cookie-jar-browser.ts";
import { gitHubAccount, startFakeGitHub, type FakeGitHub } from "./support/fake-github.ts";
import { call } from "./support/http.ts";
import { closedPort } from "./support/ports.ts";
import { rememberSecret } from "./support/secrets.ts";
import { runLatchkey, startServer, type TestServer } from "./support/server.ts";

const APP = "http://app.example.test";
const SUCCESS = `${APP}/signed-in`;
const FAILURE = `${APP}/sign-in-failed`;
const PASSWORD = "password-123";
const APPLE_P8 = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

/** Every other built-in provider on, with clients of their own (only their start is exercised: no network). */
const OTHER_PROVIDERS: Record<string, string> = {
  GOOGLE_ENABLED: "true", GOOGLE_CLIENT_ID: "google-client.apps.googleusercontent.com", GOOGLE_CLIENT_SECRET: "google-secret-0123456789",
  // HBP's spelling of the switch.
  FACEBOOK_ENABLE: "true", FACEBOOK_CLIENT_ID: "1234567890", FACEBOOK_CLIENT_SECRET: "facebook-secret-0123456789",
  APPLE_ENABLED: "true", APPLE_CLIENT_ID: "com.example.web", APPLE_TEAM_ID: "TEAM123456", APPLE_KEY_ID: "KEY1234567",
  APPLE_PRIVATE_KEY: Buffer.from(APPLE_P8).toString("base64"),
  TWITTER_ENABLED: "true", TWITTER_CLIENT_ID: "twitter-client", TWITTER_CLIENT_SECRET: "twitter-secret-0123456789",
  LINKEDIN_ENABLED: "true", LINKEDIN_CLIENT_ID: "linkedin-client", LINKEDIN_CLIENT_SECRET: "linkedin-secret-0123456789",
  SPOTIFY_ENABLED: "true", SPOTIFY_CLIENT_ID: "spotify-client", SPOTIFY_CLIENT_SECRET: "spotify-secret-0123456789",
  // HBP's WINDOWS_LIVE_* spelling.
  WINDOWS_LIVE_ENABLE: "true", WINDOWS_LIVE_CLIENT_ID: "microsoft-client", WINDOWS_LIVE_CLIENT_SECRET: "microsoft-secret-0123456789",
};
for (const [name, value] of Object.entries(OTHER_PROVIDERS)) if (/SECRET|PRIVATE_KEY/.test(name)) rememberSecret(name, value);

let github: FakeGitHub;
let server: TestServer;

beforeAll(async () => {
  github = await startFakeGitHub();
  const port = await closedPort();
  server = await startServer({
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...github.env,
    ...OTHER_PROVIDERS,
    PROVIDER_SUCCESS_REDIRECT: SUCCESS,
    PROVIDER_FAILURE_REDIRECT: FAILURE,
    COOKIE_SECRET: "github-test-cookie-secret-0123456789",
  });
});
afterAll(async () => {
  if (process.env.SHOW_LOG) console.log(server.output());
  await server?.stop();
  await github?.stop();
});

interface Flow {
  response: BrowserResponse;
  /** Where latchkey sent the browser at the end (the app's success or failure URL). */
  landing: URL;
}

/** A sign-in with GitHub from a fresh browser: latchkey, the fake GitHub's authorize page, back to the callback, to the app. */
async function signInWithGitHub(browser = new Browser()): Promise<Flow> {
  const start = await browser.request(`${server.url}/auth/providers/github`);
  expect(start.status).toBe(302);
  expect(start.location!.origin).toBe(github.url);
  const atGitHub = await browser.request(start.location!);
  const callback = atGitHub.location!;
  expect(`${callback.origin}${callback.pathname}`).toBe(`${server.url}/auth/providers/github/callback`);
  const response = await browser.request(callback);
  expect(response.status).toBe(302);
  return { response, landing: response.location! };
}

function succeeded(flow: Flow): string {
  expect(flow.landing.searchParams.get("error")).toBeNull();
  expect(`${flow.landing.origin}${flow.landing.pathname}`).toBe(SUCCESS);
  return flow.landing.searchParams.get("refresh_token")!;
}

function failedWith(flow: Flow): string | null {
  expect(`${flow.landing.origin}${flow.landing.pathname}`).toBe(FAILURE);
  expect(flow.landing.searchParams.get("refresh_token")).toBeNull();
  expect(flow.response.headers.getSetCookie().some((cookie) => /^refresh_token=[^;]/.test(cookie))).toBe(false);
  return flow.landing.searchParams.get("error");
}

async function sessionOf(refreshToken: string) {
  const res = await call(server.url, "GET", `/auth/token/refresh?refresh_token=${refreshToken}`);
  expect(res.status).toBe(200);
  return res.body as { user: { id: string; email: string | null; display_name: string; avatar_url?: string | null } };
}

async function identitiesOf(subject: number) {
  return queryDatabase<{ user_id: string; email: string | null }>(
    server.dataDir,
    "SELECT user_id, email FROM user_identities WHERE provider = ? AND subject = ?",
    ["github", String(subject)],
  );
}

async function emailVerified(userId: string): Promise<boolean> {
  const [row] = await queryDatabase<{ email_verified: boolean | number }>(server.dataDir, "SELECT email_verified FROM users WHERE id = ?", [userId]);
  return Boolean(row!.email_verified);
}

async function register(email: string): Promise<string> {
  const res = await call(server.url, "POST", "/auth/register", { json: { email, password: PASSWORD, cookie: false } });
  expect(res.status).toBe(200);
  return res.body.user.id;
}

let nextId = 1000;
/** The GitHub account that signs in next. */
function gitHubPerson(options: { name?: string | null; email?: string; verified: boolean; publicEmail?: boolean }): { id: number; email: string } {
  const id = nextId++;
  const email = options.email ?? `gh-${id}-${crypto.randomUUID().slice(0, 6)}@example.com`;
  Object.assign(github, gitHubAccount({ id, login: `octo${id}`, name: options.name, email, verified: options.verified, publicEmail: options.publicEmail }));
  github.failure = null;
  return { id, email };
}

describe("GitHub, through GitHub Enterprise's URLs", () => {
  test("a new user with a verified primary address: an account with GitHub's name and avatar, HBP's cookies and ?refresh_token=", async () => {
    const { id, email } = gitHubPerson({ name: "Mona Lisa Octocat", verified: true, publicEmail: false });
    const flow = await signInWithGitHub();
    const refreshToken = succeeded(flow);
    expect(refreshToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(flow.response.headers.getSetCookie().some((cookie) => cookie.startsWith("refresh_token=s%3A"))).toBe(true);
    // What latchkey asked GitHub for.
    const asked = github.authorizeRequests.at(-1)!;
    expect(asked.get("client_id")).toBe(github.clientId);
    expect(asked.get("scope")).toBe("user:email");
    expect(asked.get("redirect_uri")).toBe(`${server.url}/auth/providers/github/callback`);
    expect(asked.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const { user } = await sessionOf(refreshToken);
    expect(user).toMatchObject({ email, display_name: "Mona Lisa Octocat", avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4` });
    expect(await emailVerified(user.id)).toBe(true);
    expect(await identitiesOf(id)).toEqual([{ user_id: user.id, email }]);
  });

  test("a returning user gets the same account; GitHub's login stands in for a missing name", async () => {
    const { id } = gitHubPerson({ name: null, verified: true });
    const first = await sessionOf(succeeded(await signInWithGitHub()));
    expect(first.user.display_name).toBe(`octo${id}`);
    const second = await sessionOf(succeeded(await signInWithGitHub()));
    expect(second.user.id).toBe(first.user.id);
    expect(await identitiesOf(id)).toHaveLength(1);
  });

  test("a verified primary address joins the existing account with it when that account's own address is verified; the password still works", async () => {
    const email = `joined-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const existing = await register(email);
    await queryDatabase(server.dataDir, "UPDATE users SET email_verified = ? WHERE id = ?", [true, existing]);
    const { id } = gitHubPerson({ email: email.toUpperCase(), verified: true });
    const { user } = await sessionOf(succeeded(await signInWithGitHub()));
    expect(user.id).toBe(existing);
    expect(await identitiesOf(id)).toEqual([{ user_id: existing, email }]);
    expect((await call(server.url, "POST", "/auth/login", { json: { email, password: PASSWORD } })).status).toBe(200);
  });

  test("a verified primary address does not join an account whose own address was never proved (pre-hijacking): email_in_use", async () => {
    const email = `prehijack-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const existing = await register(email);
    expect(await emailVerified(existing)).toBe(false);
    const { id } = gitHubPerson({ email, verified: true });
    expect(failedWith(await signInWithGitHub())).toBe("email_in_use");
    expect(await identitiesOf(id)).toEqual([]);
  });

  test("an unverified primary address is not joined to the account that has it: email_in_use, no identity", async () => {
    const email = `unverified-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const existing = await register(email);
    const { id } = gitHubPerson({ email, verified: false });
    expect(failedWith(await signInWithGitHub())).toBe("email_in_use");
    expect(await identitiesOf(id)).toEqual([]);
    expect(await emailVerified(existing)).toBe(false);
  });

  test("an unverified address nobody has: a new account whose address is not verified", async () => {
    const { id, email } = gitHubPerson({ verified: false });
    const { user } = await sessionOf(succeeded(await signInWithGitHub()));
    expect(user.email).toBe(email);
    expect(await emailVerified(user.id)).toBe(false);
    expect((await identitiesOf(id))[0]!.user_id).toBe(user.id);
  });

  test("no address at all (none public, none listed): profile_incomplete, no account", async () => {
    const { id } = gitHubPerson({ verified: true, publicEmail: false });
    github.emails = [];
    expect(failedWith(await signInWithGitHub())).toBe("profile_incomplete");
    expect(await identitiesOf(id)).toEqual([]);
  });

  test("the person saying no, a refused code, and GitHub's API failing each land on the failure URL with their code", async () => {
    const { id } = gitHubPerson({ verified: true });
    github.failure = "deny";
    expect(failedWith(await signInWithGitHub())).toBe("access_denied");
    github.failure = "token";
    expect(failedWith(await signInWithGitHub())).toBe("provider_error");
    github.failure = "user";
    expect(failedWith(await signInWithGitHub())).toBe("provider_error");
    github.failure = "emails";
    expect(failedWith(await signInWithGitHub())).toBe("provider_error");
    github.failure = null;
    expect(await identitiesOf(id)).toEqual([]);
  });

  test("a callback in another browser (without the state cookie) is refused, and GitHub is never asked for a token", async () => {
    gitHubPerson({ verified: true });
    const browser = new Browser();
    const start = await browser.request(`${server.url}/auth/providers/github`);
    const callback = (await browser.request(start.location!)).location!;
    const before = github.tokensIssued;
    const response = await new Browser().request(callback);
    expect(failedWith({ response, landing: response.location! })).toBe("invalid_state");
    expect(github.tokensIssued).toBe(before);
  });
});

/** What each other built-in provider's start must ask for. */
const STARTS: { name: string; endpoint: string; clientId: string; scope: string; pkce: boolean; nonce: boolean; extra?: Record<string, string> }[] = [
  { name: "google", endpoint: "https://accounts.google.com/o/oauth2/v2/auth", clientId: OTHER_PROVIDERS.GOOGLE_CLIENT_ID!, scope: "openid email profile", pkce: true, nonce: true },
  { name: "facebook", endpoint: "https://www.facebook.com/v16.0/dialog/oauth", clientId: OTHER_PROVIDERS.FACEBOOK_CLIENT_ID!, scope: "email public_profile", pkce: false, nonce: false },
  { name: "apple", endpoint: "https://appleid.apple.com/auth/authorize", clientId: OTHER_PROVIDERS.APPLE_CLIENT_ID!, scope: "name email", pkce: false, nonce: true, extra: { response_mode: "form_post" } },
  { name: "twitter", endpoint: "https://twitter.com/i/oauth2/authorize", clientId: OTHER_PROVIDERS.TWITTER_CLIENT_ID!, scope: "users.read tweet.read", pkce: true, nonce: false },
  { name: "linkedin", endpoint: "https://www.linkedin.com/oauth/v2/authorization", clientId: OTHER_PROVIDERS.LINKEDIN_CLIENT_ID!, scope: "openid profile email", pkce: false, nonce: false },
  { name: "spotify", endpoint: "https://accounts.spotify.com/authorize", clientId: OTHER_PROVIDERS.SPOTIFY_CLIENT_ID!, scope: "user-read-email user-read-private", pkce: true, nonce: false },
  { name: "windowslive", endpoint: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", clientId: OTHER_PROVIDERS.WINDOWS_LIVE_CLIENT_ID!, scope: "openid profile email", pkce: true, nonce: true },
];

describe("the other built-in providers send the browser to their own sign-in page", () => {
  for (const expected of STARTS) {
    test(`${expected.name}: ${expected.endpoint} with its client, callback, scopes, state${expected.pkce ? ", PKCE (S256)" : ""}${expected.nonce ? ", a nonce" : ""}`, async () => {
      const browser = new Browser();
      const res = await browser.request(`${server.url}/auth/providers/${expected.name}`);
      expect(res.status).toBe(302);
      const to = res.location!;
      expect(`${to.origin}${to.pathname}`).toBe(expected.endpoint);
      const asked = Object.fromEntries(to.searchParams);
      expect(asked).toMatchObject({
        response_type: "code",
        client_id: expected.clientId,
        redirect_uri: `${server.url}/auth/providers/${expected.name}/callback`,
        scope: expected.scope,
        ...expected.extra,
      });
      // The state in the URL is the one bound to this browser by the signed cookie.
      expect(asked.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(browser.cookie(server.url, "provider_state")).toContain(encodeURIComponent(`s:${asked.state}.`));
      if (expected.pkce) {
        expect(asked.code_challenge_method).toBe("S256");
        expect(asked.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
      } else {
        expect(asked.code_challenge).toBeUndefined();
      }
      if (expected.nonce) expect(asked.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
      else expect(asked.nonce).toBeUndefined();
    });
  }

  test("Apple's callback is a POST form (form_post): the state in the form is checked against the cookie and spent", async () => {
    const browser = new Browser();
    const start = await browser.request(`${server.url}/auth/providers/apple`);
    const state = start.location!.searchParams.get("state")!;
    const stateCookie = browser.cookie(server.url, "provider_state")!;
    const callback = `${server.url}/auth/providers/apple/callback`;
    // The person cancels at Apple: Apple posts its own error code back, with the state.
    const cancelled = await browser.request(callback, { form: { state, error: "user_cancelled_authorize" } });
    expect(cancelled.status).toBe(302);
    expect(failedWith({ response: cancelled, landing: cancelled.location! })).toBe("access_denied");
    // The state is used up: the same form again (cookie or not) is an invalid state.
    browser.setCookie(server.url, "provider_state", stateCookie, "/auth/providers");
    const again = await browser.request(callback, { form: { state, code: "c0de", user: JSON.stringify({ name: { firstName: "A", lastName: "B" } }) } });
    expect(failedWith({ response: again, landing: again.location! })).toBe("invalid_state");
  });

  test("a provider that is not turned on answers 404 saying which setting turns it on", async () => {
    const off = await startServer({ PROVIDER_SUCCESS_REDIRECT: SUCCESS });
    try {
      const res = await call(off.url, "GET", "/auth/providers/github");
      expect(res.status).toBe(404);
      expect(res.body.message).toContain("GITHUB_ENABLED=true");
    } finally {
      await off.stop();
    }
  });
});

describe("start-up", () => {
  const CLIENT_PROVIDERS = [
    ["GITHUB", "github"], ["GOOGLE", "google"], ["FACEBOOK", "facebook"], ["TWITTER", "twitter"],
    ["LINKEDIN", "linkedin"], ["SPOTIFY", "spotify"], ["WINDOWSLIVE", "windowslive"],
  ] as const;

  /** latchkey serve with these settings: it must stop with exit 2; its error output. */
  async function refusedStart(env: Record<string, string>): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-provider-config-"));
    const result = await runLatchkey(["serve"], { DATA_DIR: dir, PROVIDER_SUCCESS_REDIRECT: SUCCESS, ...env }, dir);
    expect(result.exitCode).toBe(2);
    return result.stderr;
  }

  for (const [prefix, name] of CLIENT_PROVIDERS) {
    test(`${prefix}_ENABLED=true without its client id or secret stops start-up naming ${prefix}_CLIENT_ID / ${prefix}_CLIENT_SECRET`, async () => {
      const withoutBoth = await refusedStart({ [`${prefix}_ENABLED`]: "true" });
      expect(withoutBoth).toContain(`${prefix}_CLIENT_ID: required when ${name} sign-in is enabled`);
      expect(withoutBoth).toContain(`${prefix}_CLIENT_SECRET: required when ${name} sign-in is enabled`);
      const withoutSecret = await refusedStart({ [`${prefix}_ENABLED`]: "true", [`${prefix}_CLIENT_ID`]: "some-client" });
      expect(withoutSecret).toContain(`${prefix}_CLIENT_SECRET: required`);
      expect(withoutSecret).not.toContain(`${prefix}_CLIENT_ID: required`);
    });
  }

  test("APPLE_ENABLED=true without its Services ID, team, key id or key stops start-up naming each; a wrong key too", async () => {
    const stderr = await refusedStart({ APPLE_ENABLE: "true" });
    for (const name of ["APPLE_CLIENT_ID", "APPLE_TEAM_ID", "APPLE_KEY_ID", "APPLE_PRIVATE_KEY"]) expect(stderr).toContain(`${name}: required when apple sign-in is enabled`);
    const wrongKey = await refusedStart({ APPLE_ENABLED: "true", APPLE_CLIENT_ID: "c", APPLE_TEAM_ID: "t", APPLE_KEY_ID: "k", APPLE_PRIVATE_KEY: "bm90IGEga2V5" });
    expect(wrongKey).toContain("APPLE_PRIVATE_KEY: expected the .p8 key file");
  });

  test("a provider turned on without a success URL, or a GitHub endpoint over plain http to another host, stops start-up", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-provider-config-"));
    const noSuccess = await runLatchkey(["serve"], { DATA_DIR: dir, SPOTIFY_ENABLED: "true", SPOTIFY_CLIENT_ID: "c", SPOTIFY_CLIENT_SECRET: "s" }, dir);
    expect(noSuccess.exitCode).toBe(2);
    expect(noSuccess.stderr).toContain("PROVIDER_SUCCESS_REDIRECT: required when SPOTIFY_ENABLED is set");
    const plainHttp = await refusedStart({ ...github.env, GITHUB_TOKEN_URL: "http://github.example.com/login/oauth/access_token" });
    expect(plainHttp).toContain("GITHUB_TOKEN_URL: expected an https URL (http only on a loopback address");
  });
});
