// The built-in OAuth providers' adapters (core/identities/providers/) and their settings (config-builtin-providers.ts),
// driven directly: GitHub against test/support/fake-github.ts over real HTTP; the others against their real endpoints'
// addresses with `fetch` answered in the test process (arctic and the adapters call the global fetch), so what each
// sends the provider and how it reads each answer is checked without the network. The flow around them through
// latchkey's routes is test/github-sign-in.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createHash, generateKeyPairSync } from "node:crypto";
import { importSPKI, jwtVerify } from "jose";
import { readBuiltinProviders, type BuiltinProviderSettings } from "../src/config-builtin-providers.ts";
import { Reader } from "../src/config-reader.ts";
import { createBuiltinProviders } from "../src/core/identities/providers/builtin.ts";
import { ProviderError, type IdentityProvider } from "../src/core/identities/provider.ts";
import type { Clock } from "../src/lib/clock.ts";
import { gitHubAccount, startFakeGitHub, type FakeGitHub } from "./support/fake-github.ts";

const NOW_MS = Date.UTC(2030, 0, 1);
const clock: Clock = { now: () => NOW_MS };
const REDIRECT = (name: string) => `https://auth.example.com/auth/providers/${name}/callback`;
const FLOW = { state: "state-0123456789abcdef", codeVerifier: "verifier-0123456789abcdefghijklmnopqrstuvwxyz0123", nonce: "nonce-0123456789abcdef" };

/** An EC P-256 key like the .p8 file Apple hands out, and its public half to check the client secret with. */
const appleKey = generateKeyPairSync("ec", { namedCurve: "P-256" });
const APPLE_P8 = appleKey.privateKey.export({ type: "pkcs8", format: "pem" }).toString();

const CLIENTS: Record<string, string> = {
  GOOGLE_ENABLED: "true", GOOGLE_CLIENT_ID: "google-client.apps.googleusercontent.com", GOOGLE_CLIENT_SECRET: "google-secret-0123456789",
  FACEBOOK_ENABLED: "true", FACEBOOK_CLIENT_ID: "1234567890", FACEBOOK_CLIENT_SECRET: "facebook-secret-0123456789",
  APPLE_ENABLED: "true", APPLE_CLIENT_ID: "com.example.web", APPLE_TEAM_ID: "TEAM123456", APPLE_KEY_ID: "KEY1234567",
  APPLE_PRIVATE_KEY: Buffer.from(APPLE_P8).toString("base64"),
  TWITTER_ENABLED: "true", TWITTER_CLIENT_ID: "twitter-client", TWITTER_CLIENT_SECRET: "twitter-secret-0123456789",
  LINKEDIN_ENABLED: "true", LINKEDIN_CLIENT_ID: "linkedin-client", LINKEDIN_CLIENT_SECRET: "linkedin-secret-0123456789",
  SPOTIFY_ENABLED: "true", SPOTIFY_CLIENT_ID: "spotify-client", SPOTIFY_CLIENT_SECRET: "spotify-secret-0123456789",
  WINDOWSLIVE_ENABLED: "true", WINDOWSLIVE_CLIENT_ID: "microsoft-client", WINDOWSLIVE_CLIENT_SECRET: "microsoft-secret-0123456789",
};

function read(env: Record<string, string>): { settings: BuiltinProviderSettings; problems: string[] } {
  const reader = new Reader(env);
  const settings = readBuiltinProviders(reader);
  return { settings, problems: reader.problems };
}

function adapters(env: Record<string, string>): Map<string, IdentityProvider> {
  const { settings, problems } = read(env);
  expect(problems).toEqual([]);
  return new Map(createBuiltinProviders(settings, { clock }).map((adapter) => [adapter.name, adapter]));
}

/** The ProviderError code a promise rejects with. */
async function failureOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (error instanceof ProviderError) return error.code;
    throw error;
  }
  throw new Error("expected a ProviderError");
}

describe("settings", () => {
  test("every provider is off unless enabled; enabled with its client, it is on, in BUILTIN_PROVIDERS order", () => {
    const off = read({});
    expect(off.problems).toEqual([]);
    expect(Object.values(off.settings).every((provider) => provider === null)).toBe(true);
    expect([...adapters(CLIENTS).keys()]).toEqual(["google", "facebook", "apple", "twitter", "linkedin", "spotify", "windowslive"]);
  });

  const clientProviders = [
    ["GITHUB", "github"], ["GOOGLE", "google"], ["FACEBOOK", "facebook"], ["TWITTER", "twitter"],
    ["LINKEDIN", "linkedin"], ["SPOTIFY", "spotify"], ["WINDOWSLIVE", "windowslive"],
  ] as const;
  for (const [prefix, name] of clientProviders) {
    test(`${prefix}_ENABLED without ${prefix}_CLIENT_ID or ${prefix}_CLIENT_SECRET is a problem naming each`, () => {
      expect(read({ [`${prefix}_ENABLED`]: "true" }).problems).toEqual([
        `${prefix}_CLIENT_ID: required when ${name} sign-in is enabled`,
        `${prefix}_CLIENT_SECRET: required when ${name} sign-in is enabled`,
      ]);
      expect(read({ [`${prefix}_ENABLED`]: "true", [`${prefix}_CLIENT_ID`]: "id" }).problems).toEqual([
        `${prefix}_CLIENT_SECRET: required when ${name} sign-in is enabled`,
      ]);
      // HBP's <P>_ENABLE spelling turns it on too.
      expect(read({ [`${prefix}_ENABLE`]: "true", [`${prefix}_CLIENT_SECRET`]: "secret" }).problems).toEqual([
        `${prefix}_CLIENT_ID: required when ${name} sign-in is enabled`,
      ]);
    });
  }

  test("Apple needs its client id, team id, key id and a P-256 private key, each named when missing or wrong", () => {
    expect(read({ APPLE_ENABLED: "true" }).problems).toEqual([
      "APPLE_CLIENT_ID: required when apple sign-in is enabled (the Services ID)",
      "APPLE_TEAM_ID: required when apple sign-in is enabled",
      "APPLE_KEY_ID: required when apple sign-in is enabled",
      "APPLE_PRIVATE_KEY: required when apple sign-in is enabled (the .p8 key file, base64-encoded)",
    ]);
    const apple = { APPLE_ENABLED: "true", APPLE_CLIENT_ID: "com.example.web", APPLE_TEAM_ID: "T", APPLE_KEY_ID: "K" };
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    for (const wrong of ["not a key", Buffer.from("garbage").toString("base64"), Buffer.from(rsa).toString("base64")]) {
      const { problems } = read({ ...apple, APPLE_PRIVATE_KEY: wrong });
      expect(problems).toEqual(["APPLE_PRIVATE_KEY: expected the .p8 key file (an EC P-256 private key in PEM), base64-encoded"]);
    }
    // Base64 of the .p8 (HBP's way), or the PEM itself with \n escapes, as JWT_KEY takes one.
    expect(read({ ...apple, APPLE_PRIVATE_KEY: Buffer.from(APPLE_P8).toString("base64") }).settings.apple?.privateKey).toBe(APPLE_P8);
    expect(read({ ...apple, APPLE_PRIVATE_KEY: APPLE_P8.replace(/\n/g, "\\n") }).settings.apple?.privateKey).toBe(APPLE_P8);
  });

  test("HBP's WINDOWS_LIVE_* spelling; the tenant is common unless WINDOWSLIVE_TENANT says otherwise", () => {
    const hbp = read({ WINDOWS_LIVE_ENABLE: "true", WINDOWS_LIVE_CLIENT_ID: "id", WINDOWS_LIVE_CLIENT_SECRET: "secret" });
    expect(hbp.problems).toEqual([]);
    expect(hbp.settings.windowslive).toEqual({ clientId: "id", clientSecret: "secret", tenant: "common" });
    const tenant = read({ ...CLIENTS, WINDOWSLIVE_TENANT: "contoso.onmicrosoft.com" });
    expect(tenant.settings.windowslive?.tenant).toBe("contoso.onmicrosoft.com");
    expect(read({ ...CLIENTS, WINDOWSLIVE_TENANT: "common/../x" }).problems).toEqual([
      'WINDOWSLIVE_TENANT: expected common, consumers, organizations, a tenant id or a domain, got "common/../x"',
    ]);
  });

  test("a Twitter turned on with HBP's OAuth 1.0a consumer key is told those are not OAuth 2.0's client id", () => {
    const { problems } = read({ TWITTER_ENABLE: "true", TWITTER_CONSUMER_KEY: "key", TWITTER_CONSUMER_SECRET: "secret" });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toStartWith("TWITTER_CLIENT_ID: required when twitter sign-in is enabled (TWITTER_CONSUMER_KEY/SECRET were HBP's OAuth 1.0a keys");
  });

  test("GitHub's endpoints must be https, except on a loopback host", () => {
    const github = { GITHUB_ENABLED: "true", GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "secret" };
    const ok = read({
      ...github,
      GITHUB_AUTHORIZATION_URL: "https://github.example.com/login/oauth/authorize",
      GITHUB_TOKEN_URL: "http://127.0.0.1:8080/login/oauth/access_token",
      GITHUB_USER_PROFILE_URL: "http://localhost:8080/api/v3/user/",
    });
    expect(ok.problems).toEqual([]);
    expect(ok.settings.github).toMatchObject({
      authorizationUrl: "https://github.example.com/login/oauth/authorize",
      tokenUrl: "http://127.0.0.1:8080/login/oauth/access_token",
      userProfileUrl: "http://localhost:8080/api/v3/user",
    });
    expect(read({ ...github, GITHUB_TOKEN_URL: "http://github.example.com/login/oauth/access_token", GITHUB_USER_PROFILE_URL: "ftp://[::1]/x", GITHUB_AUTHORIZATION_URL: "nonsense" }).problems).toEqual([
      'GITHUB_AUTHORIZATION_URL: expected an https URL, got "nonsense"',
      'GITHUB_TOKEN_URL: expected an https URL (http only on a loopback address such as 127.0.0.1), got "http://github.example.com/login/oauth/access_token"',
      'GITHUB_USER_PROFILE_URL: expected an https URL (http only on a loopback address such as 127.0.0.1), got "ftp://[::1]/x"',
    ]);
    expect(read({ ...github, GITHUB_TOKEN_URL: "http://[::1]:9000/token" }).problems).toEqual([]);
  });
});

describe("GitHub against a fake GitHub (its Enterprise URLs)", () => {
  let github: FakeGitHub;
  let adapter: IdentityProvider;
  beforeAll(async () => {
    github = await startFakeGitHub();
    adapter = adapters(github.env).get("github")!;
  });
  afterAll(() => github.stop());
  afterEach(() => {
    github.failure = null;
  });

  /** The browser's part: follow the authorization URL to the callback, whose query is what the adapter gets. */
  async function signIn(): Promise<Awaited<ReturnType<IdentityProvider["completeSignIn"]>>> {
    const url = await adapter.authorizationUrl({ ...FLOW, redirectUri: REDIRECT("github") });
    const response = await fetch(url, { redirect: "manual" });
    const callback = new URL(response.headers.get("location")!);
    expect(callback.origin + callback.pathname).toBe(REDIRECT("github"));
    expect(callback.searchParams.get("state")).toBe(FLOW.state);
    return adapter.completeSignIn({ params: Object.fromEntries(callback.searchParams), ...FLOW, redirectUri: REDIRECT("github") });
  }

  test("asks for user:email at the configured authorize URL, and reads a verified primary address", async () => {
    Object.assign(github, gitHubAccount({ id: 4242, login: "Mona", name: "Mona Lisa", email: "Mona@Example.COM", verified: true }));
    const { profile, tokens } = await signIn();
    const authorize = github.authorizeRequests.at(-1)!;
    expect(Object.fromEntries(authorize)).toMatchObject({ client_id: github.clientId, redirect_uri: REDIRECT("github"), scope: "user:email", state: FLOW.state });
    expect(profile).toEqual({
      subject: "4242",
      email: "mona@example.com",
      emailVerified: true,
      displayName: "Mona Lisa",
      avatarUrl: "https://avatars.githubusercontent.com/u/4242?v=4",
    });
    expect(tokens.accessToken).toStartWith("gho_");
    expect(tokens.refreshToken).toBeNull();
  });

  test("an unverified primary address is read but not verified; the login stands in for a missing name", async () => {
    Object.assign(github, gitHubAccount({ id: 77, login: "newbie", name: null, email: "newbie@example.com", verified: false }));
    const { profile } = await signIn();
    expect(profile).toMatchObject({ subject: "77", email: "newbie@example.com", emailVerified: false, displayName: "newbie" });
  });

  test("a private primary address (none on the profile) still comes from /user/emails, verified", async () => {
    Object.assign(github, gitHubAccount({ id: 78, login: "private", email: "private@example.com", verified: true, publicEmail: false }));
    expect(github.user.email).toBeNull();
    expect((await signIn()).profile).toMatchObject({ email: "private@example.com", emailVerified: true });
  });

  test("no primary address at all: the public one, unverified; none either: no address", async () => {
    Object.assign(github, gitHubAccount({ id: 79, login: "odd", email: "odd@example.com", verified: true }));
    github.emails = github.emails.map((entry) => ({ ...entry, primary: false }));
    expect((await signIn()).profile).toMatchObject({ email: "odd@example.com", emailVerified: false });
    github.user = { ...github.user, email: null };
    github.emails = [];
    expect((await signIn()).profile).toMatchObject({ email: null, emailVerified: false });
  });

  test("the person saying no, a refused code, and failing user APIs are ProviderErrors", async () => {
    github.failure = "deny";
    expect(await failureOf(signIn())).toBe("access_denied");
    github.failure = "token";
    expect(await failureOf(signIn())).toBe("provider_error");
    github.failure = "user";
    expect(await failureOf(signIn())).toBe("provider_error");
    github.failure = "emails";
    expect(await failureOf(signIn())).toBe("provider_error");
  });

  test("a code is good once, and only with the right client secret", async () => {
    github.failure = null;
    const url = await adapter.authorizationUrl({ ...FLOW, redirectUri: REDIRECT("github") });
    const params = Object.fromEntries(new URL((await fetch(url, { redirect: "manual" })).headers.get("location")!).searchParams);
    const input = { params, ...FLOW, redirectUri: REDIRECT("github") };
    await adapter.completeSignIn(input);
    expect(await failureOf(adapter.completeSignIn(input))).toBe("provider_error");
    const wrongSecret = adapters({ ...github.env, GITHUB_CLIENT_SECRET: "not-the-secret" }).get("github")!;
    const again = Object.fromEntries(new URL((await fetch(url, { redirect: "manual" })).headers.get("location")!).searchParams);
    expect(await failureOf(wrongSecret.completeSignIn({ ...input, params: again }))).toBe("provider_error");
  });

  test("a callback without a code is a provider_error; the exchange is not tried", async () => {
    const before = github.tokensIssued;
    expect(await failureOf(adapter.completeSignIn({ params: { state: FLOW.state }, ...FLOW, redirectUri: REDIRECT("github") }))).toBe("provider_error");
    expect(github.tokensIssued).toBe(before);
  });

  test("github.com's endpoints when no URL is overridden", async () => {
    const plain = adapters({ GITHUB_ENABLED: "true", GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "secret" }).get("github")!;
    const url = await plain.authorizationUrl({ ...FLOW, redirectUri: REDIRECT("github") });
    expect(url.origin + url.pathname).toBe("https://github.com/login/oauth/authorize");
  });
});

// ---- The other providers: their real endpoints, answered in this process. ----

type Route = (request: Request) => Response | Promise<Response>;
const realFetch = globalThis.fetch;
/** The requests each provider endpoint got, by "METHOD URL-without-query". */
let seen: { key: string; request: Request; body: string }[] = [];

/** Answers fetches to these "METHOD https://host/path" keys; anything else fails the test. */
function answer(routes: Record<string, Route>): void {
  seen = [];
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const request = input instanceof Request ? new Request(input, init) : new Request(String(input), init);
    const url = new URL(request.url);
    const key = `${request.method} ${url.origin}${url.pathname}`;
    seen.push({ key, request, body: await request.clone().text() });
    const route = routes[key];
    if (!route) throw new Error(`unexpected request ${key}`);
    return route(request);
  }) as typeof fetch;
}
afterEach(() => {
  globalThis.fetch = realFetch;
});

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
/** An ID token as a provider's token endpoint hands it over (the signature is not what the adapters check). */
function idToken(claims: Record<string, unknown>): string {
  return `${base64url({ alg: "RS256", kid: "k1" })}.${base64url(claims)}.c2lnbmF0dXJl`;
}
function tokenAnswer(extra: Record<string, unknown> = {}): Route {
  return () => Response.json({ access_token: "provider-access-token-0123", token_type: "Bearer", expires_in: 3600, ...extra });
}
function s256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

interface Expected {
  endpoint: string;
  clientId: string;
  scope: string;
  pkce: boolean;
  nonce: boolean;
  extra?: Record<string, string>;
}
const AUTHORIZATION: Record<string, Expected> = {
  google: { endpoint: "https://accounts.google.com/o/oauth2/v2/auth", clientId: CLIENTS.GOOGLE_CLIENT_ID!, scope: "openid email profile", pkce: true, nonce: true },
  facebook: { endpoint: "https://www.facebook.com/v16.0/dialog/oauth", clientId: CLIENTS.FACEBOOK_CLIENT_ID!, scope: "email public_profile", pkce: false, nonce: false },
  apple: { endpoint: "https://appleid.apple.com/auth/authorize", clientId: CLIENTS.APPLE_CLIENT_ID!, scope: "name email", pkce: false, nonce: true, extra: { response_mode: "form_post" } },
  twitter: { endpoint: "https://twitter.com/i/oauth2/authorize", clientId: CLIENTS.TWITTER_CLIENT_ID!, scope: "users.read tweet.read", pkce: true, nonce: false },
  linkedin: { endpoint: "https://www.linkedin.com/oauth/v2/authorization", clientId: CLIENTS.LINKEDIN_CLIENT_ID!, scope: "openid profile email", pkce: false, nonce: false },
  spotify: { endpoint: "https://accounts.spotify.com/authorize", clientId: CLIENTS.SPOTIFY_CLIENT_ID!, scope: "user-read-email user-read-private", pkce: true, nonce: false },
  windowslive: { endpoint: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize", clientId: CLIENTS.WINDOWSLIVE_CLIENT_ID!, scope: "openid profile email", pkce: true, nonce: true },
};

describe("authorization URLs", () => {
  for (const [name, expected] of Object.entries(AUTHORIZATION)) {
    test(`${name}: ${expected.endpoint}, its scopes${expected.pkce ? ", PKCE (S256)" : ""}${expected.nonce ? ", a nonce" : ""}`, async () => {
      const adapter = adapters(CLIENTS).get(name)!;
      const url = await adapter.authorizationUrl({ ...FLOW, redirectUri: REDIRECT(name) });
      expect(url.origin + url.pathname).toBe(expected.endpoint);
      const query = Object.fromEntries(url.searchParams);
      expect(query).toMatchObject({ response_type: "code", client_id: expected.clientId, redirect_uri: REDIRECT(name), scope: expected.scope, state: FLOW.state, ...expected.extra });
      if (expected.pkce) expect(query).toMatchObject({ code_challenge_method: "S256", code_challenge: s256(FLOW.codeVerifier) });
      else expect(query.code_challenge).toBeUndefined();
      expect(query.nonce).toBe(expected.nonce ? FLOW.nonce : (undefined as unknown as string));
      expect(adapter.responseMode).toBe(name === "apple" ? "form_post" : "query");
    });
  }
});

describe("Google", () => {
  const google = () => adapters(CLIENTS).get("google")!;
  const claims = {
    iss: "https://accounts.google.com", aud: CLIENTS.GOOGLE_CLIENT_ID, sub: "110169484474386276334", exp: NOW_MS / 1000 + 3600,
    nonce: FLOW.nonce, email: "Jane@Gmail.com", email_verified: true, name: "Jane Doe", picture: "https://lh3.googleusercontent.com/a/photo",
  };
  const complete = (tokenClaims: Record<string, unknown>) => {
    answer({ "POST https://oauth2.googleapis.com/token": tokenAnswer({ id_token: idToken(tokenClaims), refresh_token: "google-refresh-0123" }) });
    return google().completeSignIn({ params: { code: "google-code", state: FLOW.state }, ...FLOW, redirectUri: REDIRECT("google") });
  };

  test("exchanges the code with the PKCE verifier and reads the ID token: a verified address", async () => {
    const { profile, tokens } = await complete(claims);
    expect(profile).toEqual({ subject: claims.sub, email: "jane@gmail.com", emailVerified: true, displayName: "Jane Doe", avatarUrl: claims.picture });
    expect(tokens).toEqual({ accessToken: "provider-access-token-0123", refreshToken: "google-refresh-0123" });
    const form = new URLSearchParams(seen[0]!.body);
    expect(Object.fromEntries(form)).toMatchObject({ grant_type: "authorization_code", code: "google-code", code_verifier: FLOW.codeVerifier, redirect_uri: REDIRECT("google") });
  });

  test("email_verified false or missing: not verified", async () => {
    expect((await complete({ ...claims, email_verified: false })).profile.emailVerified).toBe(false);
    const { email_verified: _, ...withoutClaim } = claims;
    expect((await complete(withoutClaim)).profile.emailVerified).toBe(false);
  });

  test("an ID token for another client, from another issuer, expired, or with another nonce is refused", async () => {
    expect(await failureOf(complete({ ...claims, aud: "someone-else" }))).toBe("invalid_id_token");
    expect(await failureOf(complete({ ...claims, aud: [CLIENTS.GOOGLE_CLIENT_ID, "other"] }))).toBe("invalid_id_token");
    expect((await complete({ ...claims, aud: [CLIENTS.GOOGLE_CLIENT_ID, "other"], azp: CLIENTS.GOOGLE_CLIENT_ID })).profile.subject).toBe(claims.sub);
    expect(await failureOf(complete({ ...claims, iss: "https://evil.example" }))).toBe("invalid_id_token");
    expect(await failureOf(complete({ ...claims, exp: NOW_MS / 1000 - 1 }))).toBe("invalid_id_token");
    expect(await failureOf(complete({ ...claims, nonce: "another-flow" }))).toBe("invalid_id_token");
    expect(await failureOf(complete({ ...claims, sub: "" }))).toBe("profile_incomplete");
    // Google's other spelling of its issuer is its own.
    expect((await complete({ ...claims, iss: "accounts.google.com" })).profile.subject).toBe(claims.sub);
  });

  test("a token answer without an ID token, an OAuth error, or a 500 is a provider_error", async () => {
    answer({ "POST https://oauth2.googleapis.com/token": tokenAnswer() });
    const input = { params: { code: "c" }, ...FLOW, redirectUri: REDIRECT("google") };
    expect(await failureOf(google().completeSignIn(input))).toBe("provider_error");
    answer({ "POST https://oauth2.googleapis.com/token": () => Response.json({ error: "invalid_grant" }, { status: 400 }) });
    expect(await failureOf(google().completeSignIn(input))).toBe("provider_error");
    answer({ "POST https://oauth2.googleapis.com/token": () => new Response("oops", { status: 500 }) });
    expect(await failureOf(google().completeSignIn(input))).toBe("provider_error");
    answer({ "POST https://oauth2.googleapis.com/token": () => Response.json({ id_token: "not.a.jwt!", access_token: "a" }) });
    expect(await failureOf(google().completeSignIn(input))).toBe("invalid_id_token");
    expect(await failureOf(google().completeSignIn({ ...input, params: { error: "access_denied" } }))).toBe("access_denied");
  });
});

describe("Apple", () => {
  const apple = () => adapters(CLIENTS).get("apple")!;
  const claims = {
    iss: "https://appleid.apple.com", aud: CLIENTS.APPLE_CLIENT_ID, sub: "001234.abcdef.1234", exp: NOW_MS / 1000 + 600,
    nonce: FLOW.nonce, email: "x7k2@privaterelay.appleid.com", email_verified: "true",
  };
  const complete = (params: Record<string, string>, tokenClaims: Record<string, unknown> = claims) => {
    answer({ "POST https://appleid.apple.com/auth/token": tokenAnswer({ id_token: idToken(tokenClaims) }) });
    return apple().completeSignIn({ params: { code: "apple-code", state: FLOW.state, ...params }, ...FLOW, redirectUri: REDIRECT("apple") });
  };

  test("first sign-in: the name from the form's `user`, the address from the ID token; the client secret is an ES256 JWT of the team's key", async () => {
    const user = JSON.stringify({ name: { firstName: "Ada", lastName: "Lovelace" }, email: "forged@example.com" });
    const { profile } = await complete({ user });
    expect(profile).toEqual({ subject: claims.sub, email: claims.email, emailVerified: true, displayName: "Ada Lovelace", avatarUrl: null });
    const form = new URLSearchParams(seen[0]!.body);
    expect(form.get("client_id")).toBe(CLIENTS.APPLE_CLIENT_ID!);
    const publicKey = await importSPKI(appleKey.publicKey.export({ type: "spki", format: "pem" }).toString(), "ES256");
    // jose checks the signature with the key's public half; its own clock is the real one (arctic signs with it too).
    const { payload, protectedHeader } = await jwtVerify(form.get("client_secret")!, publicKey, { audience: "https://appleid.apple.com", issuer: "TEAM123456" });
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: "KEY1234567" });
    expect(payload.sub).toBe(CLIENTS.APPLE_CLIENT_ID!);
  });

  test("later sign-ins (no `user`): the address stands in for the name, as in HBP; unverified when Apple says so", async () => {
    expect((await complete({})).profile.displayName).toBe(claims.email);
    expect((await complete({ user: "{not json" })).profile.displayName).toBe(claims.email);
    expect((await complete({}, { ...claims, email_verified: "false" })).profile.emailVerified).toBe(false);
    expect(await failureOf(complete({}, { ...claims, iss: "https://accounts.google.com" }))).toBe("invalid_id_token");
    expect(await failureOf(complete({}, { ...claims, nonce: undefined }))).toBe("invalid_id_token");
    expect(await failureOf(complete({ error: "user_cancelled_authorize" }))).toBe("access_denied");
  });
});

describe("Microsoft (windowslive)", () => {
  const PERSONAL = "9188040d-6c67-4c5b-b112-36a304b66dad";
  const WORK = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  const claims = (tid: string) => ({
    iss: `https://login.microsoftonline.com/${tid}/v2.0`, aud: CLIENTS.WINDOWSLIVE_CLIENT_ID, tid, sub: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
    exp: NOW_MS / 1000 + 3600, nonce: FLOW.nonce, name: "Megan Bowen", preferred_username: "Megan@Contoso.com",
  });
  const complete = (tokenClaims: Record<string, unknown>, tenant = "common") => {
    const url = `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`;
    answer({ [`POST ${url}`]: tokenAnswer({ id_token: idToken(tokenClaims) }) });
    return adapters({ ...CLIENTS, WINDOWSLIVE_TENANT: tenant }).get("windowslive")!.completeSignIn({ params: { code: "ms-code" }, ...FLOW, redirectUri: REDIRECT("windowslive") });
  };

  test("the issuer must be the token's own tenant's; the address never counts as verified", async () => {
    const { profile } = await complete({ ...claims(WORK), email: "megan@contoso.com" });
    expect(profile).toEqual({ subject: claims(WORK).sub, email: "megan@contoso.com", emailVerified: false, displayName: "Megan Bowen", avatarUrl: null });
    expect((await complete(claims(PERSONAL))).profile.email).toBe("megan@contoso.com");
    expect(new URLSearchParams(seen[0]!.body).get("code_verifier")).toBe(FLOW.codeVerifier);
    expect(await failureOf(complete({ ...claims(WORK), iss: `https://login.microsoftonline.com/${PERSONAL}/v2.0` }))).toBe("invalid_id_token");
    expect(await failureOf(complete({ ...claims(WORK), tid: "not-a-tenant" }))).toBe("invalid_id_token");
  });

  test("WINDOWSLIVE_TENANT narrows whose tokens are taken", async () => {
    expect(await failureOf(complete(claims(WORK), "consumers"))).toBe("invalid_id_token");
    expect((await complete(claims(PERSONAL), "consumers")).profile.subject).toBe(claims(PERSONAL).sub);
    expect(await failureOf(complete(claims(PERSONAL), "organizations"))).toBe("invalid_id_token");
    expect((await complete(claims(WORK), WORK)).profile.subject).toBe(claims(WORK).sub);
    expect(await failureOf(complete(claims(PERSONAL), WORK))).toBe("invalid_id_token");
  });
});

describe("LinkedIn", () => {
  const claims = { iss: "https://www.linkedin.com/oauth", aud: CLIENTS.LINKEDIN_CLIENT_ID, sub: "782bbtaQ", exp: NOW_MS / 1000 + 3600 };
  const complete = (info: Record<string, unknown>) => {
    answer({
      "POST https://www.linkedin.com/oauth/v2/accessToken": tokenAnswer({ id_token: idToken(claims) }),
      "GET https://api.linkedin.com/v2/userinfo": (request) => {
        expect(request.headers.get("authorization")).toBe("Bearer provider-access-token-0123");
        return Response.json(info);
      },
    });
    return adapters(CLIENTS).get("linkedin")!.completeSignIn({ params: { code: "li-code" }, ...FLOW, redirectUri: REDIRECT("linkedin") });
  };

  test("the ID token says who, userinfo for the same subject gives the profile and email_verified", async () => {
    const info = { sub: claims.sub, name: "Reid Hoffman", email: "reid@example.com", email_verified: true, picture: "https://media.licdn.com/photo" };
    expect((await complete(info)).profile).toEqual({ subject: claims.sub, email: "reid@example.com", emailVerified: true, displayName: "Reid Hoffman", avatarUrl: info.picture });
    expect((await complete({ ...info, email_verified: false, name: undefined, given_name: "Reid", family_name: "H" })).profile).toMatchObject({ emailVerified: false, displayName: "Reid H" });
    expect(await failureOf(complete({ ...info, sub: "someone-else" }))).toBe("provider_error");
  });
});

describe("Facebook, Twitter, Spotify: profiles from their user APIs, no address verified", () => {
  test("Facebook: /me with appsecret_proof; picture.data.url is the avatar", async () => {
    answer({
      "POST https://graph.facebook.com/v16.0/oauth/access_token": tokenAnswer(),
      "GET https://graph.facebook.com/me": (request) => {
        const url = new URL(request.url);
        expect(url.searchParams.get("fields")).toBe("id,name,email,picture.type(large)");
        const proof = new Bun.CryptoHasher("sha256", CLIENTS.FACEBOOK_CLIENT_SECRET!).update("provider-access-token-0123").digest("hex");
        expect(url.searchParams.get("appsecret_proof")).toBe(proof);
        return Response.json({ id: "10158", name: "Mark Z", email: "Mark@FB.com", picture: { data: { url: "https://graph.facebook.com/pic.jpg", is_silhouette: false } } });
      },
    });
    const { profile } = await adapters(CLIENTS).get("facebook")!.completeSignIn({ params: { code: "fb" }, ...FLOW, redirectUri: REDIRECT("facebook") });
    expect(profile).toEqual({ subject: "10158", email: "mark@fb.com", emailVerified: false, displayName: "Mark Z", avatarUrl: "https://graph.facebook.com/pic.jpg" });
  });

  test("Twitter: /2/users/me, no address; the username stands in for a missing name", async () => {
    answer({
      "POST https://api.twitter.com/2/oauth2/token": tokenAnswer(),
      "GET https://api.twitter.com/2/users/me": () => Response.json({ data: { id: "2244994945", username: "XDevelopers", profile_image_url: "https://pbs.twimg.com/p.jpg" } }),
    });
    const { profile } = await adapters(CLIENTS).get("twitter")!.completeSignIn({ params: { code: "tw" }, ...FLOW, redirectUri: REDIRECT("twitter") });
    expect(profile).toEqual({ subject: "2244994945", email: null, emailVerified: false, displayName: "XDevelopers", avatarUrl: "https://pbs.twimg.com/p.jpg" });
    expect(new URLSearchParams(seen[0]!.body).get("code_verifier")).toBe(FLOW.codeVerifier);
  });

  test("Spotify: /v1/me; a javascript: image URL is no avatar; a 401 from /v1/me is a provider_error", async () => {
    answer({
      "POST https://accounts.spotify.com/api/token": tokenAnswer(),
      "GET https://api.spotify.com/v1/me": () => Response.json({ id: "wizzler", display_name: "Wizzler", email: "w@example.com", images: [{ url: "javascript:alert(1)" }] }),
    });
    const spotify = adapters(CLIENTS).get("spotify")!;
    const input = { params: { code: "sp" }, ...FLOW, redirectUri: REDIRECT("spotify") };
    expect((await spotify.completeSignIn(input)).profile).toEqual({ subject: "wizzler", email: "w@example.com", emailVerified: false, displayName: "Wizzler", avatarUrl: null });
    answer({ "POST https://accounts.spotify.com/api/token": tokenAnswer(), "GET https://api.spotify.com/v1/me": () => Response.json({ error: { status: 401 } }, { status: 401 }) });
    expect(await failureOf(spotify.completeSignIn(input))).toBe("provider_error");
  });
});
