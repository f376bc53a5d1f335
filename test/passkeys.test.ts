// Passkeys on the HBP mount (issue 27), black-box with a software authenticator (test/support/software-authenticator.ts):
// sign-up, sign-in with and without an address, adding, listing and removing passkeys (never the last way to sign
// in), the MFA ticket answered with a passkey; and what must be refused: a replayed or expired challenge, a wrong
// origin or RP ID, a counter going backwards, another user's credential, a disabled account, repeated failures (429),
// sign-up with registration closed, bad input, the routes while WEBAUTHN_ENABLED=false.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../src/config.ts";
import { ConfigError } from "../src/lib/errors.ts";
import { call, decodeJwtPayload, type JsonResponse } from "./support/http.ts";
import { waitForOutboxMail } from "./support/outbox.ts";
import { FakeClock, removeDataDir, startInProcess, type InProcess } from "./support/in-process.ts";
import { runLatchkey, startServer, TEST_JWT_KEY, waitForOutput, type TestServer } from "./support/server.ts";
import { metricValue } from "./support/metrics.ts";
import { SoftwareAuthenticator } from "./support/software-authenticator.ts";
import { linkIn } from "./support/smtp.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

/** The app's page is on another origin than latchkey (a SPA on its dev server): WEBAUTHN_RP_ORIGINS names it. */
const APP_ORIGIN = "http://localhost:5173";
const METRICS_TOKEN = "passkeys-metrics-token-0123456789";
const SETTINGS = { METRICS_ENABLED: "true", METRICS_TOKEN, WEBAUTHN_ENABLED: "true", WEBAUTHN_RP_ID: "localhost", WEBAUTHN_RP_ORIGINS: `${APP_ORIGIN},http://localhost:8080`, WEBAUTHN_RP_NAME: "Example" };

let server: TestServer;
beforeAll(async () => {
  server = await startServer(SETTINGS);
});
afterAll(() => server.stop());

const unique = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}@example.com`;
const post = (path: string, json?: unknown, headers: Record<string, string> = {}) => call(server.url, "POST", path, { json, headers });
const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });
const authenticator = (options: Partial<ConstructorParameters<typeof SoftwareAuthenticator>[0]> = {}) =>
  new SoftwareAuthenticator({ origin: APP_ORIGIN, ...options });

/** Signs up `email` with a new passkey of `device`; the session (cookie: false). */
async function signUp(email: string, device: SoftwareAuthenticator, nickname?: string): Promise<JsonResponse> {
  const options = await post("/auth/signup/webauthn", { email });
  expect(options.status).toBe(200);
  const credential = await device.create(options.body);
  return post("/auth/signup/webauthn/verify", { credential, nickname, cookie: false });
}

/** Signs in with `device` (with `email`, or discoverable without); the verify answer. */
async function signIn(device: SoftwareAuthenticator, email?: string, overrides: Parameters<SoftwareAuthenticator["get"]>[1] = {}): Promise<JsonResponse> {
  const options = await post("/auth/signin/webauthn", email === undefined ? {} : { email });
  expect(options.status).toBe(200);
  const credential = await device.get(options.body, overrides);
  return post("/auth/signin/webauthn/verify", { ...(email === undefined ? {} : { email }), credential, cookie: false });
}

/** A new account made with a passkey: its address, session and the device holding the passkey. */
async function passkeyUser(deviceOptions: Parameters<typeof authenticator>[0] = {}) {
  const email = unique("pk");
  const device = authenticator(deviceOptions);
  const session = await signUp(email, device, "laptop");
  expect(session.status).toBe(200);
  return { email, device, jwt: session.body.jwt_token as string, userId: session.body.user.id as string };
}

const list = (jwt: string) => call(server.url, "GET", "/auth/user/webauthn", { headers: bearer(jwt) });

describe("sign-up", () => {
  test("options, then the new credential: an account and a session; the passkey is listed with its nickname", async () => {
    const email = unique("signup");
    const device = authenticator({ transports: ["internal", "hybrid"] });
    const options = await post("/auth/signup/webauthn", { email, options: { displayName: "Ada" } });
    expect(options.status).toBe(200);
    expect(options.body.rp).toEqual({ name: "Example", id: "localhost" });
    expect(options.body.user.name).toBe(email);
    expect(options.body.user.displayName).toBe("Ada");
    expect(options.body.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(options.body.attestation).toBe("none");
    expect(options.body.excludeCredentials).toEqual([]);
    expect(options.body.pubKeyCredParams.map((param: { alg: number }) => param.alg)).toContain(-7);

    const credential = await device.create(options.body);
    const session = await post("/auth/signup/webauthn/verify", { credential, nickname: "my laptop", cookie: false });
    expect(session.status).toBe(200);
    expect(session.body.user).toMatchObject({ email, display_name: "Ada" });
    expect(session.body.refresh_token).toMatch(/^[0-9a-f-]{36}$/);
    // The user handle the authenticator keeps is the account's id.
    expect(Buffer.from(options.body.user.id, "base64url").toString()).toBe(session.body.user.id);
    expect(decodeJwtPayload(session.body.jwt_token).sub).toBe(session.body.user.id);

    const listed = await list(session.body.jwt_token);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      { id: credential.id, nickname: "my laptop", transports: ["internal", "hybrid"], created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), last_used_at: null },
    ]);
    await waitForOutput(server, `security event=passkey_added ip=127.0.0.1 account=email:${email}`);
  });

  test("an address with an account already is refused at the options, and the account is not touched", async () => {
    const { email } = await passkeyUser();
    const again = await post("/auth/signup/webauthn", { email });
    expect(again.status).toBe(400);
    expect(again.body.message).toBe("Account already exists.");
  });

  test("with cookies (the default), the refresh token is in the cookie, as after a password login", async () => {
    const email = unique("cookie");
    const device = authenticator();
    const options = await post("/auth/signup/webauthn", { email });
    const session = await post("/auth/signup/webauthn/verify", { credential: await device.create(options.body) });
    expect(session.status).toBe(200);
    expect(session.body.refresh_token).toBeUndefined();
    expect(session.cookies.some((cookie) => cookie.startsWith("refresh_token=s%3A"))).toBe(true);
  });
});

describe("sign-in", () => {
  test("each passkey sign-in is counted in /metrics by its result (latchkey_passwordless_sign_ins_total)", async () => {
    const counted = (result: string) => metricValue(server.url, METRICS_TOKEN, "latchkey_passwordless_sign_ins_total", { method: "passkey", result });
    const before = { success: await counted("success"), failed: await counted("failed") };
    const { email, device } = await passkeyUser();
    expect((await signIn(device, email)).status).toBe(200);
    expect((await signIn(device, email, { origin: "https://evil.example" })).status).toBe(401);
    expect(await counted("success")).toBe(before.success + 1);
    expect(await counted("failed")).toBe(before.failed + 1);
  });

  test("with the address: options name the account's passkeys, and the signed challenge gives a session", async () => {
    const { email, device, userId } = await passkeyUser();
    const options = await post("/auth/signin/webauthn", { email });
    expect(options.status).toBe(200);
    expect(options.body.rpId).toBe("localhost");
    expect(options.body.allowCredentials.map((descriptor: { id: string }) => descriptor.id)).toEqual([...device.credentials.keys()]);
    const credential = await device.get(options.body);
    const session = await post("/auth/signin/webauthn/verify", { email, credential, cookie: false });
    expect(session.status).toBe(200);
    expect(session.body.user.id).toBe(userId);
    expect(decodeJwtPayload(session.body.jwt_token).sub).toBe(userId);
    const [passkey] = (await list(session.body.jwt_token)).body as { last_used_at: string | null }[];
    expect(passkey!.last_used_at).not.toBeNull();
  });

  test("without an address: a discoverable credential names its account", async () => {
    const { device, userId } = await passkeyUser();
    const options = await post("/auth/signin/webauthn", {});
    expect(options.body.allowCredentials).toEqual([]);
    const session = await post("/auth/signin/webauthn/verify", { credential: await device.get(options.body), cookie: false });
    expect(session.status).toBe(200);
    expect(session.body.user.id).toBe(userId);
    // No body at all is the same request.
    const bare = await call(server.url, "POST", "/auth/signin/webauthn");
    expect(bare.status).toBe(200);
    expect(bare.body.allowCredentials).toEqual([]);
  });

  test("an unknown address gets options too (no account is revealed), which no credential can answer", async () => {
    const { device } = await passkeyUser();
    const stranger = unique("nobody");
    const options = await post("/auth/signin/webauthn", { email: stranger });
    expect(options.status).toBe(200);
    expect(options.body.allowCredentials).toEqual([]);
    const refused = await post("/auth/signin/webauthn/verify", { email: stranger, credential: await device.get(options.body) });
    expect(refused.status).toBe(401);
  });
});

describe("a signed-in user's passkeys", () => {
  test("add a second passkey; both are listed, oldest first, and each signs in", async () => {
    const { email, device, jwt } = await passkeyUser();
    const phone = authenticator({ synced: true, transports: ["hybrid", "internal"] });
    const options = await post("/auth/user/webauthn/add", undefined, bearer(jwt));
    expect(options.status).toBe(200);
    expect(options.body.user.name).toBe(email);
    // The passkey the account has is not made again on the same authenticator.
    expect(options.body.excludeCredentials.map((descriptor: { id: string }) => descriptor.id)).toEqual([...device.credentials.keys()]);
    const credential = await phone.create(options.body);
    const added = await post("/auth/user/webauthn/verify", { credential, nickname: "phone" }, bearer(jwt));
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ id: credential.id, nickname: "phone", transports: ["hybrid", "internal"], last_used_at: null });

    const listed = await list(jwt);
    expect(listed.body.map((passkey: { nickname: string }) => passkey.nickname)).toEqual(["laptop", "phone"]);
    expect((await signIn(phone, email)).status).toBe(200);
    expect((await signIn(device, email)).status).toBe(200);
  });

  test("adding needs a signed-in caller", async () => {
    expect((await post("/auth/user/webauthn/add")).status).toBe(401);
    expect((await call(server.url, "GET", "/auth/user/webauthn")).status).toBe(401);
  });

  test("remove one: 204, it is gone from the list and signs in no more; an unknown id is 404", async () => {
    const { device, jwt } = await passkeyUser();
    const phone = authenticator();
    const options = await post("/auth/user/webauthn/add", undefined, bearer(jwt));
    const credential = await phone.create(options.body);
    expect((await post("/auth/user/webauthn/verify", { credential }, bearer(jwt))).status).toBe(200);

    const removed = await call(server.url, "DELETE", `/auth/user/webauthn/${credential.id}`, { headers: bearer(jwt) });
    expect(removed.status).toBe(204);
    expect((await list(jwt)).body.map((passkey: { id: string }) => passkey.id)).toEqual([...device.credentials.keys()]);
    // Offered anyway (a discoverable sign-in: the authenticator still holds it), it is refused.
    expect((await signIn(phone)).status).toBe(401);
    await waitForOutput(server, /security event=passkey_removed ip=127\.0\.0\.1 account=user:\S+/);

    const again = await call(server.url, "DELETE", `/auth/user/webauthn/${credential.id}`, { headers: bearer(jwt) });
    expect(again.status).toBe(404);
    expect(again.body.message).toBe("No such passkey.");
  });

  test("another account's passkey cannot be removed (404), and stays", async () => {
    const owner = await passkeyUser();
    const other = await passkeyUser();
    const [id] = owner.device.credentials.keys();
    const refused = await call(server.url, "DELETE", `/auth/user/webauthn/${id}`, { headers: bearer(other.jwt) });
    expect(refused.status).toBe(404);
    expect((await list(owner.jwt)).body).toHaveLength(1);
  });

  test("the last way to sign in is not removed (409); with a password beside it, the only passkey may go", async () => {
    const { jwt, device } = await passkeyUser();
    const [id] = device.credentials.keys();
    const refused = await call(server.url, "DELETE", `/auth/user/webauthn/${id}`, { headers: bearer(jwt) });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ statusCode: 409, error: "Conflict", message: "This is the account's last way to sign in; add another before removing it." });
    expect((await list(jwt)).body).toHaveLength(1);

    const email = unique("pw");
    const registered = await post("/auth/register", { email, password: "password-123", cookie: false });
    const withPassword = registered.body.jwt_token;
    const key = authenticator();
    const options = await post("/auth/user/webauthn/add", undefined, bearer(withPassword));
    const credential = await key.create(options.body);
    expect((await post("/auth/user/webauthn/verify", { credential }, bearer(withPassword))).status).toBe(200);
    const removed = await call(server.url, "DELETE", `/auth/user/webauthn/${credential.id}`, { headers: bearer(withPassword) });
    expect(removed.status).toBe(204);
  });
});

describe("refused", () => {
  test("a replayed challenge: the same signed response a second time is refused, and counted", async () => {
    const { email, device } = await passkeyUser();
    const options = await post("/auth/signin/webauthn", { email });
    const credential = await device.get(options.body);
    expect((await post("/auth/signin/webauthn/verify", { email, credential, cookie: false })).status).toBe(200);
    const replay = await post("/auth/signin/webauthn/verify", { email, credential, cookie: false });
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ statusCode: 401, error: "Unauthorized", message: "Invalid or expired passkey response." });
    await waitForOutput(server, `security event=sign_in_failed ip=127.0.0.1 account=email:${email} reason=invalid_passkey`);
  });

  test("a registration answering a sign-up challenge twice makes one account", async () => {
    const email = unique("twice");
    const device = authenticator();
    const options = await post("/auth/signup/webauthn", { email });
    const credential = await device.create(options.body);
    expect((await post("/auth/signup/webauthn/verify", { credential, cookie: false })).status).toBe(200);
    expect((await post("/auth/signup/webauthn/verify", { credential, cookie: false })).status).toBe(401);
  });

  test("a challenge answers only the step it was made for: an add's challenge does not sign in", async () => {
    const { device, jwt } = await passkeyUser();
    const addOptions = await post("/auth/user/webauthn/add", undefined, bearer(jwt));
    // The held passkey signs the add's challenge, as if it were a sign-in's.
    const credential = await device.get({ challenge: addOptions.body.challenge, rpId: "localhost" });
    expect((await post("/auth/signin/webauthn/verify", { credential })).status).toBe(401);
  });

  test("another signed-in user cannot answer someone's add challenge", async () => {
    const first = await passkeyUser();
    const second = await passkeyUser();
    const options = await post("/auth/user/webauthn/add", undefined, bearer(first.jwt));
    const credential = await authenticator().create(options.body);
    const refused = await post("/auth/user/webauthn/verify", { credential }, bearer(second.jwt));
    expect(refused.status).toBe(401);
    expect((await list(second.jwt)).body).toHaveLength(1);
  });

  test("a wrong origin: refused at sign-up (nothing made) and at sign-in", async () => {
    const email = unique("origin");
    const options = await post("/auth/signup/webauthn", { email });
    const phished = await authenticator({ origin: "https://evil.example" }).create(options.body);
    expect((await post("/auth/signup/webauthn/verify", { credential: phished })).status).toBe(401);
    // Nothing was made: the address is free.
    expect((await post("/auth/signup/webauthn", { email })).status).toBe(200);

    const user = await passkeyUser();
    expect((await signIn(user.device, user.email, { origin: "http://localhost:5174" })).status).toBe(401);
    // Each origin of WEBAUTHN_RP_ORIGINS is accepted.
    expect((await signIn(user.device, user.email, { origin: "http://localhost:8080" })).status).toBe(200);
  });

  test("a wrong RP ID hash: refused at sign-up and at sign-in", async () => {
    const options = await post("/auth/signup/webauthn", { email: unique("rpid") });
    const credential = await authenticator({ rpId: "evil.example" }).create(options.body);
    expect((await post("/auth/signup/webauthn/verify", { credential })).status).toBe(401);

    const user = await passkeyUser();
    expect((await signIn(user.device, user.email, { rpId: "evil.example" })).status).toBe(401);
  });

  test("a signature that does not verify is refused", async () => {
    const { email, device } = await passkeyUser();
    const options = await post("/auth/signin/webauthn", { email });
    const credential = await device.get(options.body);
    const signature = Buffer.from(credential.response.signature, "base64url");
    signature[signature.length - 1] = signature[signature.length - 1]! ^ 1;
    credential.response.signature = signature.toString("base64url");
    expect((await post("/auth/signin/webauthn/verify", { email, credential })).status).toBe(401);
  });

  test("a counter going backwards: a cloned authenticator is refused and recorded; the original goes on", async () => {
    const { email, device, userId } = await passkeyUser({ counts: true });
    expect((await signIn(device, email)).status).toBe(200);
    const copy = device.clone();
    expect((await signIn(device, email)).status).toBe(200); // counter 2
    const cloned = await signIn(copy, email); // counter 2 again: did not move forward
    expect(cloned.status).toBe(401);
    await waitForOutput(server, `security event=passkey_clone_suspected ip=127.0.0.1 account=user:${userId}`);
    expect((await signIn(device, email)).status).toBe(200); // counter 3
  });

  test("an authenticator that does not count (counter 0) signs in again and again", async () => {
    const { email, device } = await passkeyUser({ counts: false });
    for (let use = 0; use < 3; use++) expect((await signIn(device, email)).status).toBe(200);
  });

  test("another user's credential: with A's address, B's passkey is refused; its user handle cannot be forged", async () => {
    const a = await passkeyUser();
    const b = await passkeyUser();
    const options = await post("/auth/signin/webauthn", { email: a.email });
    const [bCredential] = b.device.credentials.keys();
    const credential = await b.device.get(options.body, { credentialId: bCredential });
    expect((await post("/auth/signin/webauthn/verify", { email: a.email, credential })).status).toBe(401);

    // Discoverable: B's credential claiming to be A's account (user handle of A).
    const open = await post("/auth/signin/webauthn", {});
    const claimed = await b.device.get(open.body);
    claimed.response.userHandle = Buffer.from(a.userId).toString("base64url");
    expect((await post("/auth/signin/webauthn/verify", { credential: claimed })).status).toBe(401);

    // Options without an address answered with A's address named at verify: B's credential is not A's.
    const again = await post("/auth/signin/webauthn", {});
    const named = await b.device.get(again.body);
    expect((await post("/auth/signin/webauthn/verify", { email: a.email, credential: named })).status).toBe(401);
  });

  test("a disabled account's passkey gives nothing; enabled again, it signs in", async () => {
    const { email, device } = await passkeyUser();
    const cli = (action: string) => runLatchkey(["user", action, email], { DATA_DIR: server.dataDir, JWT_KEY: TEST_JWT_KEY, ...SETTINGS }, server.dataDir);
    expect((await cli("disable")).exitCode).toBe(0);
    const refused = await signIn(device, email);
    expect(refused.status).toBe(401);
    expect(refused.body.message).toBe("Account is disabled.");
    await waitForOutput(server, `security event=disabled_account ip=127.0.0.1 account=email:${email}`);
    const discoverable = await signIn(device);
    expect(discoverable.status).toBe(401);
    expect((await cli("enable")).exitCode).toBe(0);
    expect((await signIn(device, email)).status).toBe(200);
  });

  test("repeated failures are rate limited like wrong passwords: the 6th try, even a right one, is 429", async () => {
    const { email, device } = await passkeyUser();
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await signIn(device, email, { origin: "https://evil.example" })).status).toBe(401);
    }
    const limited = await signIn(device, email);
    expect(limited.status).toBe(429);
    expect(limited.body.message).toBe("You are being rate limited.");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    await waitForOutput(server, `security event=locked_out ip=127.0.0.1 account=email:${email}`);
  });
});

describe("the MFA ticket answered with a passkey", () => {
  test("a user with TOTP signs in with the password, then a passkey instead of a code; the ticket is used up only on success", async () => {
    const email = unique("mfa");
    const registered = await post("/auth/register", { email, password: "password-123", cookie: false });
    const jwt = registered.body.jwt_token;
    const generated = await post("/auth/mfa/generate", undefined, bearer(jwt));
    await awayFromStepEdge();
    expect((await post("/auth/mfa/enable", { code: totpCode(generated.body.otp_secret, -1) }, bearer(jwt))).status).toBe(204);
    const key = authenticator();
    const addOptions = await post("/auth/user/webauthn/add", undefined, bearer(jwt));
    expect((await post("/auth/user/webauthn/verify", { credential: await key.create(addOptions.body) }, bearer(jwt))).status).toBe(200);

    const login = await post("/auth/login", { email, password: "password-123" });
    expect(login.body).toEqual({ mfa: true, ticket: expect.any(String) });
    const { ticket } = login.body;
    const options = await post("/auth/mfa/webauthn", { ticket });
    expect(options.status).toBe(200);
    expect(options.body.allowCredentials.map((descriptor: { id: string }) => descriptor.id)).toEqual([...key.credentials.keys()]);

    // A failed try keeps the ticket.
    const wrong = await post("/auth/mfa/webauthn/verify", { ticket, credential: await key.get(options.body, { origin: "https://evil.example" }) });
    expect(wrong.status).toBe(401);
    const retry = await post("/auth/mfa/webauthn", { ticket });
    const session = await post("/auth/mfa/webauthn/verify", { ticket, credential: await key.get(retry.body), cookie: false });
    expect(session.status).toBe(200);
    expect(session.body.user.email).toBe(email);
    expect(session.body.refresh_token).toMatch(/^[0-9a-f-]{36}$/);

    // Used up.
    const spent = await post("/auth/mfa/webauthn", { ticket });
    expect(spent.status).toBe(401);
    expect(spent.body.message).toBe("Invalid or expired ticket.");
  });

  test("another account's passkey does not answer the ticket", async () => {
    const email = unique("mfa-other");
    const registered = await post("/auth/register", { email, password: "password-123", cookie: false });
    const generated = await post("/auth/mfa/generate", undefined, bearer(registered.body.jwt_token));
    await awayFromStepEdge();
    await post("/auth/mfa/enable", { code: totpCode(generated.body.otp_secret, -1) }, bearer(registered.body.jwt_token));
    const login = await post("/auth/login", { email, password: "password-123" });
    const options = await post("/auth/mfa/webauthn", { ticket: login.body.ticket });
    const stranger = await passkeyUser();
    const credential = await stranger.device.get(options.body);
    expect((await post("/auth/mfa/webauthn/verify", { ticket: login.body.ticket, credential })).status).toBe(401);
  });

  test("a bad ticket gets no options", async () => {
    expect((await post("/auth/mfa/webauthn", { ticket: crypto.randomUUID() })).status).toBe(401);
  });
});

describe("bad input is HBP's 400, never a 500", () => {
  test("a credential that is not an object, bad base64url, huge fields, missing or unknown fields", async () => {
    const { email, device } = await passkeyUser();
    const options = await post("/auth/signin/webauthn", { email });
    const good = await device.get(options.body);
    const variants: [string, unknown][] = [
      ["a string", "credential"],
      ["an array", [good]],
      ["null", null],
      ["bad base64url", { ...good, response: { ...good.response, clientDataJSON: "not base64url!" } }],
      ["a huge field", { ...good, response: { ...good.response, clientDataJSON: "A".repeat(9000) } }],
      ["no response", { ...good, response: undefined }],
      ["an unknown field", { ...good, extra: 1 }],
      ["another type", { ...good, type: "password" }],
    ];
    for (const [what, credential] of variants) {
      const answer = await post("/auth/signin/webauthn/verify", { email, credential });
      expect({ what, status: answer.status }).toEqual({ what, status: 400 });
      expect(answer.body.statusCode).toBe(400);
    }
    // Well-formed but not client data: refused as a response that does not verify.
    const notJson = await post("/auth/signin/webauthn/verify", { email, credential: { ...good, response: { ...good.response, clientDataJSON: "AAAA" } } });
    expect(notJson.status).toBe(401);
    // A sign-up's options need a valid address.
    expect((await post("/auth/signup/webauthn", { email: "not an address" })).status).toBe(400);
    expect((await post("/auth/signup/webauthn", { email: unique("x"), options: { allowedRoles: "user" } })).status).toBe(400);
  });

  test("a passkey id that cannot be one is 400", async () => {
    const { jwt } = await passkeyUser();
    const answer = await call(server.url, "DELETE", "/auth/user/webauthn/not%20an%20id", { headers: bearer(jwt) });
    expect(answer.status).toBe(400);
  });
});

describe("on latchkey's clock (in-process)", () => {
  let app: InProcess | undefined;
  const clock = new FakeClock(Date.UTC(2031, 4, 6, 7, 8, 9));
  beforeAll(async () => {
    app = await startInProcess(SETTINGS, { clock });
  });
  afterAll(async () => {
    await app?.close();
    if (app) removeDataDir(app.dataDir);
  });

  test("a challenge expires after 5 minutes: sign-up and sign-in answered later are refused", async () => {
    const device = authenticator();
    const email = unique("late");
    const options = await app!.request("POST", "/auth/signup/webauthn", { json: { email } });
    expect(options.body.timeout).toBe(300_000);
    clock.advance(301);
    const late = await app!.request("POST", "/auth/signup/webauthn/verify", { json: { credential: await device.create(options.body) } });
    expect(late.status).toBe(401);

    const fresh = await app!.request("POST", "/auth/signup/webauthn", { json: { email } });
    clock.advance(299);
    const inTime = await app!.request("POST", "/auth/signup/webauthn/verify", { json: { credential: await device.create(fresh.body), cookie: false } });
    expect(inTime.status).toBe(200);

    const signInOptions = await app!.request("POST", "/auth/signin/webauthn", { json: { email } });
    clock.advance(301);
    const expired = await app!.request("POST", "/auth/signin/webauthn/verify", { json: { email, credential: await device.get(signInOptions.body) } });
    expect(expired.status).toBe(401);
    const again = await app!.request("POST", "/auth/signin/webauthn", { json: { email } });
    const signedIn = await app!.request("POST", "/auth/signin/webauthn/verify", { json: { email, credential: await device.get(again.body) } });
    expect(signedIn.status).toBe(200);
  });
});

describe("settings that refuse", () => {
  test("registration closed: passkey sign-up is refused (403), sign-in of existing accounts goes on", async () => {
    const clock = new FakeClock();
    const app = await startInProcess({ ...SETTINGS, REGISTRATION_ENABLED: "false" }, { clock });
    try {
      const refused = await app.request("POST", "/auth/signup/webauthn", { json: { email: unique("closed") } });
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ statusCode: 403, error: "Forbidden", message: "Registration is closed." });
      expect((await app.request("POST", "/auth/signin/webauthn", { json: {} })).status).toBe(200);
    } finally {
      await app.close();
      removeDataDir(app.dataDir);
    }
  });

  test("WEBAUTHN_USER_VERIFICATION=required refuses an authenticator that did not verify its user; preferred takes it", async () => {
    const app = await startInProcess({ ...SETTINGS, WEBAUTHN_USER_VERIFICATION: "required" }, { clock: new FakeClock() });
    try {
      const options = await app.request("POST", "/auth/signup/webauthn", { json: { email: unique("uv") } });
      expect(options.body.authenticatorSelection.userVerification).toBe("required");
      const unverified = await authenticator({ userVerified: false }).create(options.body);
      expect((await app.request("POST", "/auth/signup/webauthn/verify", { json: { credential: unverified } })).status).toBe(401);
    } finally {
      await app.close();
      removeDataDir(app.dataDir);
    }
    const presenceOnly = await signUp(unique("up"), authenticator({ userVerified: false }));
    expect(presenceOnly.status).toBe(200);
  });

  test("WEBAUTHN_ENABLED=false (the default): every passkey route answers HBP's 404 naming the setting", async () => {
    const app = await startInProcess({}, { clock: new FakeClock() });
    try {
      const register = await app.request("POST", "/auth/register", { json: { email: unique("off"), password: "password-123", cookie: false } });
      const headers = bearer(register.body.jwt_token);
      // Well-formed requests (a body that does not match its schema is 400 first, on every HBP route).
      const device = authenticator();
      const created = await device.create({ challenge: "AAAA", rp: { id: "localhost" }, user: { id: "dQ" } });
      const signed = await device.get({ challenge: "AAAA", rpId: "localhost" });
      const routes: [string, string, unknown?][] = [
        ["POST", "/auth/signup/webauthn", { email: unique("off") }],
        ["POST", "/auth/signup/webauthn/verify", { credential: created }],
        ["POST", "/auth/signin/webauthn", {}],
        ["POST", "/auth/signin/webauthn/verify", { credential: signed }],
        ["POST", "/auth/user/webauthn/add"],
        ["POST", "/auth/user/webauthn/verify", { credential: created }],
        ["GET", "/auth/user/webauthn"],
        ["DELETE", "/auth/user/webauthn/abc"],
        ["POST", "/auth/mfa/webauthn", { ticket: "t" }],
        ["POST", "/auth/mfa/webauthn/verify", { ticket: "t", credential: signed }],
      ];
      for (const [method, path, json] of routes) {
        const answer = await app.request(method, path, { json, headers });
        expect({ path, status: answer.status, body: answer.body }).toEqual({
          path,
          status: 404,
          body: { statusCode: 404, error: "Not Found", message: "Passkey sign-in is disabled; set WEBAUTHN_ENABLED=true" },
        });
      }
    } finally {
      await app.close();
      removeDataDir(app.dataDir);
    }
  });
});

describe("sign-up waiting for activation (VERIFY_EMAILS, AUTO_ACTIVATE_NEW_USERS=false)", () => {
  let verifying: TestServer;
  beforeAll(async () => {
    verifying = await startServer({ ...SETTINGS, VERIFY_EMAILS: "true", AUTO_ACTIVATE_NEW_USERS: "false", REDIRECT_URL_SUCCESS: `${APP_ORIGIN}/welcome` });
  });
  afterAll(() => verifying.stop());

  test("as HBP's register answers: no tokens and an activation mail; the passkey signs in once the link was followed", async () => {
    const email = unique("activate");
    const device = authenticator();
    const options = await call(verifying.url, "POST", "/auth/signup/webauthn", { json: { email } });
    const registered = await call(verifying.url, "POST", "/auth/signup/webauthn/verify", { json: { credential: await device.create(options.body) } });
    expect(registered.status).toBe(200);
    expect(registered.body).toEqual({ jwt_token: null, jwt_expires_in: null, user: expect.objectContaining({ email }) });
    expect(registered.cookies).toEqual([]);

    const signInNow = async () => {
      const request = await call(verifying.url, "POST", "/auth/signin/webauthn", { json: { email } });
      return call(verifying.url, "POST", "/auth/signin/webauthn/verify", { json: { email, credential: await device.get(request.body), cookie: false } });
    };
    const before = await signInNow();
    expect(before.status).toBe(400);
    expect(before.body.message).toBe("Account is not activated.");

    const mail = await waitForOutboxMail(verifying.dataDir, email);
    const link = new URL(linkIn(mail));
    expect(link.pathname).toBe("/auth/activate");
    const followed = await call(verifying.url, "GET", `${link.pathname}${link.search}`);
    expect(followed.status).toBe(302);
    expect((await signInNow()).status).toBe(200);
  });
});

describe("settings", () => {
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ DATA_DIR: "/tmp/unused", ...env });
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };

  test("defaults: off, the RP ID is PUBLIC_URL's host and the one origin PUBLIC_URL's, user verification preferred", () => {
    const { webauthn } = loadConfig({ DATA_DIR: "/tmp/unused", PUBLIC_URL: "https://auth.example.com/" });
    expect(webauthn).toEqual({ enabled: false, rpId: "auth.example.com", rpName: "latchkey", origins: ["https://auth.example.com"], userVerification: "preferred" });
    const portless = loadConfig({ DATA_DIR: "/tmp/unused", PORT: "0" }).webauthn;
    expect(portless).toMatchObject({ rpId: "localhost", origins: null });
  });

  test("apps on other origins under one registrable domain", () => {
    const { webauthn } = loadConfig({
      DATA_DIR: "/tmp/unused",
      PUBLIC_URL: "https://auth.example.com",
      WEBAUTHN_ENABLED: "true",
      WEBAUTHN_RP_ID: "example.com",
      WEBAUTHN_RP_ORIGINS: "https://app.example.com, https://example.com:8443",
      WEBAUTHN_USER_VERIFICATION: "REQUIRED",
    });
    expect(webauthn).toMatchObject({ rpId: "example.com", origins: ["https://app.example.com", "https://example.com:8443"], userVerification: "required" });
  });

  test("bad values stop start-up, naming the variable", () => {
    const on = { WEBAUTHN_ENABLED: "true", PUBLIC_URL: "https://auth.example.com" };
    expect(problems({ ...on, WEBAUTHN_RP_ID: "other.org" })).toEqual([
      'WEBAUTHN_RP_ID: "other.org" must be the host of each origin or a registrable suffix of it, and PUBLIC_URL\'s "https://auth.example.com" is on "auth.example.com"',
    ]);
    expect(problems({ ...on, WEBAUTHN_RP_ID: "com" })[0]).toStartWith('WEBAUTHN_RP_ID: "com" must be the host of each origin');
    expect(problems({ ...on, WEBAUTHN_RP_ID: "https://example.com" })[0]).toStartWith("WEBAUTHN_RP_ID: expected a domain");
    expect(problems({ ...on, WEBAUTHN_RP_ORIGINS: "http://app.example.com" })[0]).toContain("WEBAUTHN_RP_ORIGINS: \"http://app.example.com\" is plain http");
    expect(problems({ ...on, WEBAUTHN_RP_ORIGINS: "https://auth.example.com/login" })[0]).toContain("is not an origin");
    expect(problems({ ...on, WEBAUTHN_USER_VERIFICATION: "sometimes" })[0]).toStartWith("WEBAUTHN_USER_VERIFICATION: expected one of preferred, required, discouraged");
    expect(problems({ WEBAUTHN_ENABLED: "maybe" })[0]).toStartWith("WEBAUTHN_ENABLED: expected true or false");
    // A plain-http PUBLIC_URL elsewhere than localhost cannot have passkeys; without them it is fine.
    expect(problems({ WEBAUTHN_ENABLED: "true", PUBLIC_URL: "http://auth.example.com" })[0]).toContain("PUBLIC_URL: \"http://auth.example.com\" is plain http");
    expect(problems({ PUBLIC_URL: "http://auth.example.com" })).toEqual([]);
  });

  test("`latchkey config check` shows them", async () => {
    const result = await runLatchkey(["config", "check"], { DATA_DIR: server.dataDir, ...SETTINGS }, server.dataDir);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/webauthn\.enabled\s+true/);
    expect(result.stdout).toMatch(/webauthn\.rpId\s+localhost/);
    expect(result.stdout).toMatch(/webauthn\.origins\s+http:\/\/localhost:5173, http:\/\/localhost:8080/);
    expect(result.stdout).toMatch(/webauthn\.userVerification\s+preferred/);
    expect(result.stdout).toContain("WEBAUTHN_RP_ORIGINS");
  });
});

describe("the operator's commands", () => {
  const user = (...args: string[]) => runLatchkey(["user", ...args], { DATA_DIR: server.dataDir, JWT_KEY: TEST_JWT_KEY, ...SETTINGS }, server.dataDir);

  test("`user show` lists the account's passkeys: id, nickname, created, last used (text and --json)", async () => {
    const { email, device, jwt } = await passkeyUser();
    const phone = authenticator({ synced: true });
    const options = await post("/auth/user/webauthn/add", undefined, bearer(jwt));
    const credential = await phone.create(options.body);
    await post("/auth/user/webauthn/verify", { credential, nickname: "phone" }, bearer(jwt));
    expect((await signIn(phone, email)).status).toBe(200);
    const [laptopId] = device.credentials.keys();

    const shown = await user("show", email, "--json");
    expect(shown.exitCode).toBe(0);
    expect(JSON.parse(shown.stdout).passkeys).toEqual([
      { id: laptopId, nickname: "laptop", transports: ["internal"], synced: false, createdAt: expect.stringMatching(/Z$/), lastUsedAt: null },
      { id: credential.id, nickname: "phone", transports: ["internal"], synced: true, createdAt: expect.stringMatching(/Z$/), lastUsedAt: expect.stringMatching(/Z$/) },
    ]);
    const text = await user("show", email);
    expect(text.stdout).toMatch(/passkeys\s+2/);
    expect(text.stdout).toMatch(new RegExp(`${laptopId}\\s+laptop\\s+\\S+Z\\s+never`));
    expect(text.stdout).toMatch(new RegExp(`${credential.id}\\s+phone\\s+\\S+Z\\s+\\S+Z`));
  });

  test("`user passkeys remove`: one goes; the last way to sign in only with --force; unknown ids and bad usage are refused", async () => {
    const { email, device, jwt } = await passkeyUser();
    const key = authenticator();
    const options = await post("/auth/user/webauthn/add", undefined, bearer(jwt));
    const credential = await key.create(options.body);
    await post("/auth/user/webauthn/verify", { credential }, bearer(jwt));
    const [laptopId] = device.credentials.keys();

    const removed = await user("passkeys", "remove", email, credential.id);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toContain(`removed passkey ${credential.id} of ${email}`);
    expect(removed.stdout).toContain("security event=passkey_removed ip=- account=user:");
    expect((await signIn(key)).status).toBe(401);

    const last = await user("passkeys", "remove", email, laptopId!);
    expect(last.exitCode).toBe(1);
    expect(last.stderr).toContain("it is the account's last way to sign in: add --force");
    expect((await signIn(device, email)).status).toBe(200);

    const unknown = await user("passkeys", "remove", email, "no-such-passkey");
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain(`has no passkey no-such-passkey`);
    const usage = await user("passkeys", "list", email, laptopId!);
    expect(usage.exitCode).toBe(2);

    const forced = await user("passkeys", "remove", email, laptopId!, "--force");
    expect(forced.exitCode).toBe(0);
    expect((await signIn(device, email)).status).toBe(401);
    expect(JSON.parse((await user("show", email, "--json")).stdout).passkeys).toEqual([]);
  });
});
