// The settings of provider sign-in (src/config-providers.ts) and what they change: OIDC_PROVIDERS and its
// OIDC_<NAME>_* settings (a provider named without its issuer, client id or secret stops start-up naming the
// variable), the redirects and the allow-list, PROVIDER_LINK_BY_EMAIL, the registration policy, a provider that is
// down when latchkey starts, and `latchkey config check`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { ConfigError } from "../src/lib/errors.ts";
import { queryDatabase } from "./support/backend.ts";
import { CookieJarBrowser as Browser } from "./support/cookie-jar-browser.ts";
import { call } from "./support/http.ts";
import { startOpenIdProvider, type TestOpenIdProvider } from "./support/openid-provider.ts";
import { closedPort } from "./support/ports.ts";
import { rememberSecret } from "./support/secrets.ts";
import { runLatchkey, startServer, type TestServer } from "./support/server.ts";

const APP = "http://app.example.test";
const SUCCESS = `${APP}/signed-in`;
const CLIENT_SECRET = "oidc-settings-client-secret-0123456789";
rememberSecret("client_secret", CLIENT_SECRET);

const CORP = {
  OIDC_PROVIDERS: "corp",
  OIDC_CORP_ISSUER: "https://id.example.test/realms/main",
  OIDC_CORP_CLIENT_ID: "latchkey",
  OIDC_CORP_CLIENT_SECRET: CLIENT_SECRET,
  REDIRECT_URL_SUCCESS: SUCCESS,
};

/** The problems loadConfig reports for `env`, joined. */
function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join("\n");
    throw error;
  }
  return "";
}

describe("reading the settings", () => {
  test("defaults: the failure URL falls back to REDIRECT_URL_ERROR, then the success URL; the allow-list to the success URL's origin", () => {
    const { providers } = loadConfig(CORP);
    expect(providers).toEqual({
      successRedirect: SUCCESS,
      failureRedirect: SUCCESS,
      redirectAllowlist: [`${APP}/`],
      linkByEmail: true,
      keepTokens: false,
      oidc: { corp: { name: "corp", issuer: CORP.OIDC_CORP_ISSUER, clientId: "latchkey", clientSecret: CLIENT_SECRET, scopes: ["openid", "email", "profile"] } },
      // The built-in providers (test/builtin-providers.test.ts): all off.
      builtin: { github: null, google: null, facebook: null, apple: null, twitter: null, linkedin: null, spotify: null, windowslive: null },
    });
    expect(loadConfig({ ...CORP, REDIRECT_URL_ERROR: `${APP}/error` }).providers.failureRedirect).toBe(`${APP}/error`);
    const own = loadConfig({ ...CORP, PROVIDER_SUCCESS_REDIRECT: `${APP}/p/ok`, PROVIDER_FAILURE_REDIRECT: `${APP}/p/failed`, OIDC_CORP_SCOPES: "openid email groups" });
    expect([own.providers.successRedirect, own.providers.failureRedirect]).toEqual([`${APP}/p/ok`, `${APP}/p/failed`]);
    expect(own.providers.oidc.corp!.scopes).toEqual(["openid", "email", "groups"]);
  });

  test.each([
    ["OIDC_CORP_ISSUER", { OIDC_CORP_ISSUER: "" }, 'OIDC_CORP_ISSUER: required for OIDC provider "corp"'],
    ["OIDC_CORP_CLIENT_ID", { OIDC_CORP_CLIENT_ID: "" }, 'OIDC_CORP_CLIENT_ID: required for OIDC provider "corp"'],
    ["OIDC_CORP_CLIENT_SECRET", { OIDC_CORP_CLIENT_SECRET: "" }, 'OIDC_CORP_CLIENT_SECRET: required for OIDC provider "corp"'],
    ["an http issuer off loopback", { OIDC_CORP_ISSUER: "http://id.example.test" }, "OIDC_CORP_ISSUER: must be an https URL"],
    ["an issuer with a query", { OIDC_CORP_ISSUER: "https://id.example.test/?a=1" }, "OIDC_CORP_ISSUER: an issuer has no query or fragment"],
    ["scopes without openid", { OIDC_CORP_SCOPES: "email profile" }, "OIDC_CORP_SCOPES: must include openid"],
    ["a built-in provider's name", { OIDC_PROVIDERS: "github" }, 'OIDC_PROVIDERS: "github" is a built-in provider\'s name'],
    ["a name that is not one", { OIDC_PROVIDERS: "Corp_1" }, 'OIDC_PROVIDERS: "Corp_1" is not a provider name'],
    ["a name twice", { OIDC_PROVIDERS: "corp,corp" }, 'OIDC_PROVIDERS: "corp" is named twice'],
    ["no success URL", { REDIRECT_URL_SUCCESS: "" }, "PROVIDER_SUCCESS_REDIRECT: required when OIDC_PROVIDERS is set"],
    ["an allow-list entry that is no URL", { REDIRECT_URL_ALLOWLIST: "app.example.test" }, 'REDIRECT_URL_ALLOWLIST: "app.example.test" is not an http(s) URL'],
  ])("%s is refused, naming the variable", (_, change, problem) => {
    expect(problemsOf({ ...CORP, ...change })).toContain(problem);
  });

  test.each(["http://127.0.0.1:9000", "http://127.8.9.10/realm", "http://localhost:8080/", "http://[::1]:9000"])("plain http on loopback is accepted: %s", (issuer) => {
    expect(loadConfig({ ...CORP, OIDC_CORP_ISSUER: issuer }).providers.oidc.corp!.issuer).toBe(issuer);
  });

  test("a provider named without its client id or secret stops start-up (exit 2) naming the variable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-oidc-config-"));
    const withoutId = await runLatchkey(["serve"], { ...CORP, DATA_DIR: dir, OIDC_CORP_CLIENT_ID: "" }, dir);
    expect(withoutId.exitCode).toBe(2);
    expect(withoutId.stderr).toContain('OIDC_CORP_CLIENT_ID: required for OIDC provider "corp"');
    const withoutSecret = await runLatchkey(["serve"], { ...CORP, DATA_DIR: dir, OIDC_CORP_CLIENT_SECRET: "" }, dir);
    expect(withoutSecret.exitCode).toBe(2);
    expect(withoutSecret.stderr).toContain('OIDC_CORP_CLIENT_SECRET: required for OIDC provider "corp"');
  });

  test("latchkey config check lists the provider with its secret masked, knows its settings, and names a typo of one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-oidc-check-"));
    const checked = await runLatchkey(["config", "check"], { ...CORP, DATA_DIR: dir, OIDC_CORP_CLIENT_SECRT: "typo" }, dir);
    expect(checked.exitCode).toBe(0);
    expect(checked.stdout).toMatch(/providers\.oidc\.corp\.issuer\s+https:\/\/id\.example\.test\/realms\/main/);
    expect(checked.stdout).toMatch(/providers\.oidc\.corp\.clientSecret\s+\*{8} \(set\)/);
    expect(checked.stdout).not.toContain(CLIENT_SECRET);
    expect(checked.stdout).toMatch(/set in the environment: .*OIDC_CORP_CLIENT_SECRET/);
    expect(checked.stderr).toContain("warning: OIDC_CORP_CLIENT_SECRT is not a latchkey setting and is ignored; did you mean OIDC_CORP_CLIENT_SECRET?");
    expect(checked.stderr).not.toContain("warning: OIDC_CORP_ISSUER");
  });
});

describe("a provider that is down when latchkey starts; PROVIDER_LINK_BY_EMAIL=false; the registration policy", () => {
  let server: TestServer;
  let providerPort: number;
  let op: TestOpenIdProvider | null = null;

  beforeAll(async () => {
    providerPort = await closedPort();
    const port = await closedPort();
    server = await startServer({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      OIDC_PROVIDERS: "later",
      OIDC_LATER_ISSUER: `http://127.0.0.1:${providerPort}`,
      OIDC_LATER_CLIENT_ID: "latchkey",
      OIDC_LATER_CLIENT_SECRET: CLIENT_SECRET,
      REDIRECT_URL_SUCCESS: SUCCESS,
      PROVIDER_LINK_BY_EMAIL: "false",
      ALLOWED_EMAIL_DOMAINS: "example.com",
    });
  });
  afterAll(async () => {
    await server?.stop();
    await op?.close();
  });

  async function signIn(subject: string): Promise<URL> {
    const browser = new Browser();
    let response = await browser.request(`${server.url}/auth/providers/later`);
    for (let hop = 0; hop < 20; hop++) {
      const next = response.location!;
      if (next.origin === APP) return next;
      if (/^\/interaction\/[^/]+$/.test(next.pathname)) {
        await browser.request(next);
        response = await browser.request(new URL(`${next.pathname}/login`, next), { form: { account: subject } });
      } else {
        response = await browser.request(next);
      }
    }
    throw new Error("too many redirects");
  }

  test("down: latchkey started, and a sign-in lands on the failure URL (the success URL here) with provider_error", async () => {
    expect((await call(server.url, "GET", "/healthz")).status).toBe(200);
    const landing = await signIn("nobody");
    expect(`${landing.origin}${landing.pathname}`).toBe(SUCCESS);
    expect(landing.searchParams.get("error")).toBe("provider_error");
  });

  test("up again: discovery is tried again and the sign-in works; without PROVIDER_KEEP_TOKENS no token is kept", async () => {
    op = await startOpenIdProvider({
      port: providerPort,
      clients: [{ client_id: "latchkey", client_secret: CLIENT_SECRET, redirect_uris: [`${server.url}/auth/providers/later/callback`] }],
    });
    op.accounts.set("alice", { email: "alice@example.com", email_verified: true });
    const landing = await signIn("alice");
    expect(landing.searchParams.get("error")).toBeNull();
    expect(landing.searchParams.get("refresh_token")).toMatch(/^[0-9a-f-]{36}$/);
    const rows = await queryDatabase<{ access_token_encrypted: string | null; refresh_token_encrypted: string | null }>(
      server.dataDir,
      "SELECT access_token_encrypted, refresh_token_encrypted FROM user_identities WHERE subject = ?",
      ["alice"],
    );
    expect(rows).toEqual([{ access_token_encrypted: null, refresh_token_encrypted: null }]);
  });

  test("PROVIDER_LINK_BY_EMAIL=false: a verified address of an existing account is email_in_use, not joined", async () => {
    const registered = await call(server.url, "POST", "/auth/register", { json: { email: "bob@example.com", password: "password-123", cookie: false } });
    expect(registered.status).toBe(200);
    op!.accounts.set("bob", { email: "bob@example.com", email_verified: true });
    expect((await signIn("bob")).searchParams.get("error")).toBe("email_in_use");
  });

  test("a new account meets the registration policy: an address outside ALLOWED_EMAIL_DOMAINS is refused", async () => {
    op!.accounts.set("carol", { email: "carol@elsewhere.test", email_verified: true });
    expect((await signIn("carol")).searchParams.get("error")).toBe("email_domain_not_allowed");
    expect(await queryDatabase(server.dataDir, "SELECT id FROM users WHERE email = ?", ["carol@elsewhere.test"])).toEqual([]);
  });

  test("a provider that gives no address cannot make an account: profile_incomplete", async () => {
    op!.accounts.set("dave", { name: "Dave" });
    expect((await signIn("dave")).searchParams.get("error")).toBe("profile_incomplete");
  });

  test("the identity is found by its subject, not its address: the provider changing the address keeps the account", async () => {
    op!.accounts.set("alice", { email: "alice.new@example.com", email_verified: true });
    const landing = await signIn("alice");
    const session = await call(server.url, "GET", `/auth/token/refresh?refresh_token=${landing.searchParams.get("refresh_token")}`);
    expect(session.body.user.email).toBe("alice@example.com");
    const [identity] = await queryDatabase<{ email: string }>(server.dataDir, "SELECT email FROM user_identities WHERE subject = ?", ["alice"]);
    expect(identity!.email).toBe("alice.new@example.com");
  });
});

describe("REGISTRATION_ENABLED=false", () => {
  let server: TestServer;
  let op: TestOpenIdProvider;

  beforeAll(async () => {
    op = await startOpenIdProvider();
    const port = await closedPort();
    const publicUrl = `http://127.0.0.1:${port}`;
    await op.setClients([{ client_id: "latchkey", client_secret: CLIENT_SECRET, redirect_uris: [`${publicUrl}/auth/providers/corp/callback`] }]);
    server = await startServer({
      ...CORP,
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      OIDC_CORP_ISSUER: op.issuer,
      REGISTRATION_ENABLED: "false",
    });
  });
  afterAll(async () => {
    await server?.stop();
    await op?.close();
  });

  test("nobody signs themselves up through a provider either: registration_closed, no account", async () => {
    op.accounts.set("erin", { email: "erin@example.com", email_verified: true });
    const browser = new Browser();
    let response = await browser.request(`${server.url}/auth/providers/corp`);
    while (response.location!.origin !== APP) {
      const next = response.location!;
      if (/^\/interaction\/[^/]+$/.test(next.pathname)) {
        await browser.request(next);
        response = await browser.request(new URL(`${next.pathname}/login`, next), { form: { account: "erin" } });
      } else {
        response = await browser.request(next);
      }
    }
    expect(response.location!.searchParams.get("error")).toBe("registration_closed");
    expect(await queryDatabase(server.dataDir, "SELECT id FROM users WHERE email = ?", ["erin@example.com"])).toEqual([]);
  });
});
