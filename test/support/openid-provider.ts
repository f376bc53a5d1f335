// A real OpenID Provider for tests: oidc-provider (a certified implementation) on a loopback port, in the test
// process. Its people are `accounts` (subject -> claims); a test signs one in by answering the provider's login
// interaction over HTTP (POST /interaction/<uid>/login with `account=<subject>`); consent is granted at once for
// openid, email and profile. What the tests need beyond an honest provider, it does through its own hooks:
// - tamperNextIdToken(): the next token response's ID token is re-signed with the provider's own key (or a key it
//   never published) after one claim is changed: a wrong nonce, audience or expiry, signed as a provider would;
// - rotateKeys(): a new signing key, and the old one gone from its JWKS (the provider restarts with it; one
//   listening socket, so its address stays the same).
import { createServer, type IncomingMessage, type Server } from "node:http";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from "jose";
import Provider, { type ProviderContext } from "oidc-provider";

export interface TestAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  picture?: string;
}

export interface TestClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

/** One change to the next ID token: a claim's value (`exp` in seconds), or a signature by an unpublished key. */
export type IdTokenTamper = { claim: "nonce" | "aud" | "exp" | "iss"; value: string | number } | { foreignKey: true };

export interface TestOpenIdProvider {
  issuer: string;
  accounts: Map<string, TestAccount>;
  /** Clients known from now on (the provider restarts with them). */
  setClients(clients: TestClient[]): Promise<void>;
  /** A new signing key; the old one leaves the JWKS. Returns the new key's id. */
  rotateKeys(): Promise<string>;
  /** The `kid` the provider signs with now. */
  currentKeyId(): string;
  tamperNextIdToken(change: IdTokenTamper): void;
  /** How many times the JWKS was fetched (by latchkey). */
  jwksFetches(): number;
  /** The access token of the last token response, or null. */
  lastAccessToken(): string | null;
  close(): Promise<void>;
}

async function signingKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
}

async function formOf(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** Starts the provider on 127.0.0.1 (`port`: a given one, e.g. where a test said the provider would be). */
export async function startOpenIdProvider(options: { port?: number; clients?: TestClient[] } = {}): Promise<TestOpenIdProvider> {
  const accounts = new Map<string, TestAccount>();
  let clients = options.clients ?? [];
  let keyNumber = 1;
  let key = await signingKey(`key-${keyNumber}`);
  let tamper: IdTokenTamper | null = null;
  let jwksFetches = 0;
  let lastAccessToken: string | null = null;
  let handler: ((req: IncomingMessage, res: import("node:http").ServerResponse) => void) | null = null;

  const server: Server = createServer((req, res) => handler!(req, res));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  async function tampered(idToken: string, change: IdTokenTamper): Promise<string> {
    const payload = JSON.parse(Buffer.from(idToken.split(".")[1]!, "base64url").toString("utf8"));
    let signWith = key;
    if ("foreignKey" in change) signWith = await signingKey("never-published");
    else payload[change.claim] = change.value;
    return new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid: signWith.kid! }).sign(await importJWK(signWith, "RS256"));
  }

  function build(): Provider {
    const provider = new Provider(issuer, {
      clients: clients.map((client) => ({ ...client, grant_types: ["authorization_code"], response_types: ["code"] })),
      jwks: { keys: [key] },
      cookies: { keys: ["openid-provider-test-cookie-key"] },
      claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "picture"] },
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      async findAccount(_ctx: unknown, subject: string) {
        const account = accounts.get(subject);
        return account && { accountId: subject, claims: async () => ({ sub: subject, ...account }) };
      },
      // Consent is not what these tests are about: a grant of openid, email and profile at once.
      async loadExistingGrant(ctx: { oidc: { client: { clientId: string }; session: { accountId: string; grantIdFor(id: string): string | undefined }; provider: Provider & { Grant: { find(id: string): Promise<unknown> } } } }) {
        const { client, session, provider } = ctx.oidc;
        const existing = session.grantIdFor(client.clientId);
        if (existing) return provider.Grant.find(existing);
        const grant = new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
        grant.addOIDCScope("openid email profile");
        await grant.save();
        return grant;
      },
    });
    provider.use(async (ctx: ProviderContext, next) => {
      const interaction = /^\/interaction\/([^/]+)(\/login)?$/.exec(ctx.path);
      if (interaction && ctx.method === "GET" && !interaction[2]) {
        const details = await provider.interactionDetails(ctx.req, ctx.res);
        ctx.body = { uid: details.uid, prompt: details.prompt.name };
        return;
      }
      if (interaction && ctx.method === "POST" && interaction[2]) {
        const form = await formOf(ctx.req);
        ctx.respond = false;
        await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: form.get("account") ?? "" } }, { mergeWithLastSubmission: false });
        return;
      }
      if (ctx.path === "/jwks") jwksFetches++;
      await next();
      const body = ctx.body as { id_token?: string; access_token?: string } | null;
      if (ctx.path === "/token" && typeof body?.access_token === "string") lastAccessToken = body.access_token;
      if (ctx.path === "/token" && tamper !== null && typeof body?.id_token === "string") {
        body.id_token = await tampered(body.id_token, tamper);
        tamper = null;
      }
    });
    provider.on("server_error", (_ctx, error) => console.error("openid-provider:", error));
    return provider;
  }

  handler = build().callback();
  return {
    issuer,
    accounts,
    async setClients(next) {
      clients = next;
      handler = build().callback();
    },
    async rotateKeys() {
      key = await signingKey(`key-${++keyNumber}`);
      handler = build().callback();
      return key.kid!;
    },
    currentKeyId: () => key.kid!,
    tamperNextIdToken(change) {
      tamper = change;
    },
    jwksFetches: () => jwksFetches,
    lastAccessToken: () => lastAccessToken,
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}
