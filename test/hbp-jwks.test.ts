// Asymmetric signing keys and GET /auth/jwks: generated key pairs kept across restarts, rotation with
// JWT_PREVIOUS_KEY, algorithm pinning (no `alg: none`, no algorithm confusion), and start-up refusing unusable keys.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWK } from "jose";
import { loadConfig } from "../src/config.ts";
import type { AsymmetricAlgorithm } from "../src/config-jwt.ts";
import { ConfigError } from "../src/lib/errors.ts";
import { queryDatabase } from "./support/backend.ts";
import { call } from "./support/http.ts";
import { runLatchkey, startServer, type TestServer } from "./support/server.ts";

const NS = "https://hasura.io/jwt/claims";
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];
const KTY: Record<AsymmetricAlgorithm, string> = { RS256: "RSA", RS384: "RSA", RS512: "RSA", ES256: "EC", EdDSA: "OKP" };

const dirs: string[] = [];
function freshDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `latchkey-${prefix}-`));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newKeyPair(algorithm: AsymmetricAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  if (algorithm.startsWith("RS")) return generateKeyPairSync("rsa", { modulusLength: 2048 });
  if (algorithm === "ES256") return generateKeyPairSync("ec", { namedCurve: "P-256" });
  return generateKeyPairSync("ed25519");
}
const pkcs8 = (key: KeyObject): string => key.export({ type: "pkcs8", format: "pem" }) as string;
const spki = (key: KeyObject): string => key.export({ type: "spki", format: "pem" }) as string;
const kidOf = (publicKey: KeyObject): Promise<string> => calculateJwkThumbprint(publicKey.export({ format: "jwk" }) as JWK);

async function register(url: string): Promise<{ jwt_token: string; refresh_token: string; user: { id: string } }> {
  const email = `jwks-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call(url, "POST", "/auth/register", { json: { email, password: "password-123", cookie: false } });
  expect(res.status).toBe(200);
  return res.body;
}

const revoke = (url: string, token: string) =>
  call(url, "POST", "/auth/token/revoke", { headers: { authorization: `Bearer ${token}` } });

async function fetchJwks(url: string): Promise<{ keys: (JWK & { kid: string })[] }> {
  const res = await call(url, "GET", "/auth/jwks");
  expect(res.status).toBe(200);
  for (const key of res.body.keys) {
    for (const member of PRIVATE_JWK_MEMBERS) expect(key).not.toHaveProperty(member);
  }
  return res.body;
}

async function withServer<T>(env: Record<string, string>, dataDir: string, run: (server: TestServer) => Promise<T>): Promise<T> {
  const server = await startServer(env, { dataDir });
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

describe.each(["RS256", "ES256", "EdDSA"] as const)("JWT_ALGORITHM=%s without JWT_KEY", (algorithm) => {
  test("generates a key pair once; /auth/jwks verifies its tokens; a restart keeps the key and its tokens", async () => {
    const dir = freshDir("jwks");
    const env = { JWT_ALGORITHM: algorithm, JWT_KEY: "" };
    const first = await withServer(env, dir, async (server) => {
      expect(server.output()).toContain(`generated a JWT signing key pair (${algorithm})`);
      // Kept in the database (so every instance on it signs alike), as a PKCS#8 PEM.
      const rows = await queryDatabase<{ value: string }>(dir, "SELECT value FROM generated_secrets WHERE name = ?", [`jwt-${algorithm.toLowerCase()}`]);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.value).toStartWith("-----BEGIN PRIVATE KEY-----");
      expect(existsSync(join(dir, "keys"))).toBe(false);

      const { jwt_token, user } = await register(server.url);
      const jwks = await fetchJwks(server.url);
      expect(jwks.keys).toHaveLength(1);
      const [jwk] = jwks.keys;
      expect(jwk).toMatchObject({ kty: KTY[algorithm], alg: algorithm, use: "sig" });
      expect(jwk!.kid).toBe(await calculateJwkThumbprint(jwk!));

      // What a resource server does with the published keys.
      const { payload, protectedHeader } = await jwtVerify(jwt_token, createLocalJWKSet(jwks), { algorithms: [algorithm] });
      expect(protectedHeader).toEqual({ alg: algorithm, typ: "JWT", kid: jwk!.kid });
      expect(payload.sub).toBe(user.id);
      expect((payload[NS] as Record<string, unknown>)["x-hasura-user-id"]).toBe(user.id);
      return { token: jwt_token, kid: jwk!.kid };
    });

    await withServer(env, dir, async (server) => {
      expect(server.output()).not.toContain("generated a JWT signing key");
      expect((await fetchJwks(server.url)).keys.map((key) => key.kid)).toEqual([first.kid]);
      expect((await revoke(server.url, first.token)).status).toBe(204);
    });
  });
});

describe("rotation with JWT_PREVIOUS_KEY", () => {
  test.each([
    // One-line environments carry a PEM with literal \n escapes; RSA keys may be PKCS#1.
    ["RS256", "JWT_KEY as a one-line PKCS#1 PEM, the previous key as its public half"],
    ["EdDSA", "the previous key as the old private key"],
  ] as const)("%s: %s", async (algorithm) => {
    const [a, b] = [newKeyPair(algorithm), newKeyPair(algorithm)];
    const [kidA, kidB] = await Promise.all([kidOf(a.publicKey), kidOf(b.publicKey)]);
    const dir = freshDir("rotate");
    const keyA =
      algorithm === "RS256"
        ? (a.privateKey.export({ type: "pkcs1", format: "pem" }) as string).replace(/\n/g, "\\n")
        : pkcs8(a.privateKey);
    const previousA = algorithm === "RS256" ? spki(a.publicKey) : pkcs8(a.privateKey);

    const oldToken = await withServer({ JWT_ALGORITHM: algorithm, JWT_KEY: keyA }, dir, async (server) => {
      expect(server.output()).not.toContain("generated a JWT signing key");
      const { jwt_token } = await register(server.url);
      expect(decodeProtectedHeader(jwt_token).kid).toBe(kidA);
      return jwt_token;
    });

    const rotating = { JWT_ALGORITHM: algorithm, JWT_KEY: pkcs8(b.privateKey), JWT_PREVIOUS_KEY: previousA };
    await withServer(rotating, dir, async (server) => {
      expect((await revoke(server.url, oldToken)).status).toBe(204);
      const { jwt_token } = await register(server.url);
      expect(decodeProtectedHeader(jwt_token).kid).toBe(kidB); // new tokens: always the current key
      const jwks = await fetchJwks(server.url);
      expect(jwks.keys.map((key) => key.kid)).toEqual([kidB, kidA]);
      const keySet = createLocalJWKSet(jwks);
      await jwtVerify(oldToken, keySet, { algorithms: [algorithm] });
      await jwtVerify(jwt_token, keySet, { algorithms: [algorithm] });
    });

    await withServer({ JWT_ALGORITHM: algorithm, JWT_KEY: pkcs8(b.privateKey) }, dir, async (server) => {
      const res = await revoke(server.url, oldToken);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: "Unauthorized", message: "Not logged in" });
      expect((await fetchJwks(server.url)).keys.map((key) => key.kid)).toEqual([kidB]);
    });
  });
});

describe("HMAC (HS*)", () => {
  const keyA = "previous-hmac-key-0123456789abcdefghijklmnop";
  const keyB = "current-hmac-key-0123456789abcdefghijklmnopq";
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ JWT_KEY: keyB, JWT_PREVIOUS_KEY: keyA });
  });
  afterAll(() => server.stop());

  const sign = (userId: string, secret: string) =>
    new SignJWT({ [NS]: { "x-hasura-user-id": userId } })
      .setProtectedHeader({ alg: "HS512", typ: "JWT" })
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode(secret));

  test("/auth/jwks is 501 in HBP's shape: a shared secret has nothing public", async () => {
    const res = await call(server.url, "GET", "/auth/jwks");
    expect(res.status).toBe(501);
    expect(res.body).toEqual({ statusCode: 501, error: "Not Implemented", message: "JWKS is not implemented on this server." });
  });

  test("tokens are signed with JWT_KEY and carry no kid", async () => {
    const { jwt_token } = await register(server.url);
    expect(decodeProtectedHeader(jwt_token)).toEqual({ alg: "HS512", typ: "JWT" });
    await jwtVerify(jwt_token, new TextEncoder().encode(keyB), { algorithms: ["HS512"] });
  });

  test.each([
    ["JWT_PREVIOUS_KEY", 204, keyA],
    ["JWT_KEY", 204, keyB],
    ["an unknown key", 401, "some-other-hmac-key-0123456789abcdefghijkl"],
  ] as const)("a token signed with %s answers %d", async (_, status, secret) => {
    const { user } = await register(server.url);
    expect((await revoke(server.url, await sign(user.id, secret))).status).toBe(status);
  });
});

describe("RS256 refuses tokens it did not sign", () => {
  const own = newKeyPair("RS256");
  const other = newKeyPair("RS256");
  let kid: string;
  let server: TestServer;
  beforeAll(async () => {
    kid = await kidOf(own.publicKey);
    server = await startServer({ JWT_ALGORITHM: "RS256", JWT_KEY: pkcs8(own.privateKey) });
  });
  afterAll(() => server.stop());

  const claims = (userId: string) => ({ sub: userId, [NS]: { "x-hasura-user-id": userId } });
  const signed = (userId: string, header: { alg: string; kid?: string }, key: KeyObject | Uint8Array) =>
    new SignJWT(claims(userId)).setProtectedHeader({ typ: "JWT", ...header }).setIssuedAt().setExpirationTime("10m").sign(key);
  const unsigned = (userId: string, header: Record<string, string>) =>
    [header, { ...claims(userId), exp: Math.floor(Date.now() / 1000) + 600 }]
      .map((part) => Buffer.from(JSON.stringify(part)).toString("base64url"))
      .join(".") + ".";

  test.each([
    ["signed with the server's key (control)", 204, (id: string) => signed(id, { alg: "RS256", kid }, own.privateKey)],
    [
      "HS256 with the server's public key PEM as the HMAC secret (algorithm confusion)",
      401,
      (id: string) => signed(id, { alg: "HS256", kid }, new TextEncoder().encode(spki(own.publicKey))),
    ],
    ["alg none with the server's kid", 401, async (id: string) => unsigned(id, { alg: "none", typ: "JWT", kid })],
    ["RS512 with the server's key (alg is pinned)", 401, (id: string) => signed(id, { alg: "RS512", kid }, own.privateKey)],
    ["signed with another key under the server's kid", 401, (id: string) => signed(id, { alg: "RS256", kid }, other.privateKey)],
    ["with an unknown kid", 401, (id: string) => signed(id, { alg: "RS256", kid: "not-a-key-of-this-server" }, own.privateKey)],
    ["without a kid", 401, (id: string) => signed(id, { alg: "RS256" }, own.privateKey)],
  ])("a token %s answers %d", async (_, status, make) => {
    const { user, refresh_token } = await register(server.url);
    const res = await revoke(server.url, await make(user.id));
    expect(res.status).toBe(status);
    if (status === 401) {
      expect(res.body.message).toBe("Not logged in");
      // Nothing was revoked.
      expect((await call(server.url, "GET", `/auth/token/refresh?refresh_token=${refresh_token}`)).status).toBe(200);
    }
  });
});

describe("settings", () => {
  test("every algorithm is accepted; the HMAC length minimum applies to HS* only", () => {
    for (const algorithm of ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "EdDSA"]) {
      expect(loadConfig({ JWT_ALGORITHM: algorithm }).jwt.algorithm).toBe(algorithm as never);
    }
    // An asymmetric JWT_KEY is checked as a PEM when the keys are loaded, not by its length.
    expect(loadConfig({ JWT_ALGORITHM: "RS256", JWT_KEY: "short" }).jwt.key).toBe("short");
    expect(loadConfig({ JWT_PREVIOUS_KEY: "a\\nb-long-enough-for-an-hmac-key-0123456789" }).jwt.previousKey).toBe(
      "a\nb-long-enough-for-an-hmac-key-0123456789",
    );
    let error: unknown;
    try {
      loadConfig({ JWT_PREVIOUS_KEY: "short" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(["JWT_PREVIOUS_KEY: an HMAC key must be at least 32 characters"]);
  });
});

describe("start-up refuses keys it cannot use (exit code 2, the variable named, no stack trace)", () => {
  const rsa = newKeyPair("RS256");
  const p256 = newKeyPair("ES256");
  const ed25519 = newKeyPair("EdDSA");
  const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const rsa1024 = generateKeyPairSync("rsa", { modulusLength: 1024 });

  test.each([
    ["an unknown algorithm", "JWT_ALGORITHM", { JWT_ALGORITHM: "PS256" }],
    ["alg none", "JWT_ALGORITHM", { JWT_ALGORITHM: "none" }],
    ["an HMAC secret for RS256", "JWT_KEY", { JWT_ALGORITHM: "RS256", JWT_KEY: "an-hmac-secret-that-is-long-enough-0123456789" }],
    ["a truncated PEM", "JWT_KEY", { JWT_ALGORITHM: "RS256", JWT_KEY: pkcs8(rsa.privateKey).slice(0, 200) }],
    ["a public key as the signing key", "JWT_KEY", { JWT_ALGORITHM: "RS256", JWT_KEY: spki(rsa.publicKey) }],
    ["an RSA key for ES256", "JWT_KEY", { JWT_ALGORITHM: "ES256", JWT_KEY: pkcs8(rsa.privateKey) }],
    ["a P-384 key for ES256", "JWT_KEY", { JWT_ALGORITHM: "ES256", JWT_KEY: pkcs8(p384.privateKey) }],
    ["a P-256 key for EdDSA", "JWT_KEY", { JWT_ALGORITHM: "EdDSA", JWT_KEY: pkcs8(p256.privateKey) }],
    ["an Ed25519 key for RS512", "JWT_KEY", { JWT_ALGORITHM: "RS512", JWT_KEY: pkcs8(ed25519.privateKey) }],
    ["a 1024-bit RSA key", "JWT_KEY", { JWT_ALGORITHM: "RS256", JWT_KEY: pkcs8(rsa1024.privateKey) }],
    [
      "a previous key of another family",
      "JWT_PREVIOUS_KEY",
      { JWT_ALGORITHM: "RS256", JWT_KEY: pkcs8(rsa.privateKey), JWT_PREVIOUS_KEY: spki(ed25519.publicKey) },
    ],
    [
      "a previous key that is no PEM",
      "JWT_PREVIOUS_KEY",
      { JWT_ALGORITHM: "EdDSA", JWT_KEY: pkcs8(ed25519.privateKey), JWT_PREVIOUS_KEY: "garbage" },
    ],
  ] as [string, string, Record<string, string>][])("%s: names %s", async (_, name, env) => {
    const dir = freshDir("badkey");
    const result = await runLatchkey(["serve"], { DATA_DIR: dir, ...env }, dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`  - ${name}: `);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toContain("BEGIN"); // the key itself is never echoed
    expect(existsSync(join(dir, "latchkey.db"))).toBe(false);
  });

  test("a damaged key file of an older data directory is named, and not copied into the database", async () => {
    const dir = freshDir("badfile");
    mkdirSync(join(dir, "keys"));
    writeFileSync(join(dir, "keys", "jwt-es256.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    const result = await runLatchkey(["serve"], { DATA_DIR: dir, JWT_ALGORITHM: "ES256" }, dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${join(dir, "keys", "jwt-es256.pem")}: expected a PEM private key`);
    expect(await queryDatabase(dir, "SELECT name FROM generated_secrets")).toEqual([]);
  });
});

describe("a data directory of latchkey 0.1 (generated keys as files in keys/)", () => {
  test("HS512: the key and cookie secret move into the database; tokens signed with them stay valid", async () => {
    const dir = freshDir("legacy");
    mkdirSync(join(dir, "keys"));
    const legacyKey = "legacy-hmac-secret-from-a-data-directory-0123456789abcdefghijklmnop";
    const legacyCookie = "legacy-cookie-secret-0123456789abcdef";
    writeFileSync(join(dir, "keys", "jwt-hmac.key"), `${legacyKey}\n`, { mode: 0o600 });
    writeFileSync(join(dir, "keys", "cookie.secret"), `${legacyCookie}\n`, { mode: 0o600 });
    const token = await withServer({ JWT_KEY: "" }, dir, async (server) => {
      expect(server.output()).toContain("moved the JWT signing key from the data directory into the database");
      expect(server.output()).toContain("moved the cookie signing secret from the data directory into the database");
      expect(server.output()).not.toContain("generated a");
      const { jwt_token, user } = await register(server.url);
      // Signed with the file's key: a resource server configured with it keeps working.
      const { payload } = await jwtVerify(jwt_token, new TextEncoder().encode(legacyKey), { algorithms: ["HS512"] });
      expect(payload.sub).toBe(user.id);
      return jwt_token;
    });
    const rows = await queryDatabase<{ name: string; value: string }>(dir, "SELECT name, value FROM generated_secrets ORDER BY name");
    expect(rows).toEqual([
      { name: "cookie", value: legacyCookie },
      { name: "jwt-hmac", value: legacyKey },
    ]);

    // The files are no longer read: removed, the key in the database still verifies the token.
    rmSync(join(dir, "keys"), { recursive: true });
    await withServer({ JWT_KEY: "" }, dir, async (server) => {
      expect(server.output()).not.toContain("moved the");
      expect(server.output()).not.toContain("generated a");
      const res = await call(server.url, "POST", "/auth/mfa/generate", { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    });
  });
});
