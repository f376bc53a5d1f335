// Issue 8: two latchkey processes on one PostgreSQL database and one S3 bucket, each with its own data directory,
// sharing JWT_KEY and COOKIE_SECRET (or, without them, the keys one of them generated into the database). Whatever one instance writes (a rotated refresh token, a failed password, a
// used TOTP step, a file, a logout), the other must see at once: nothing that matters may live in one process.
// The database and bucket are given explicitly, so this runs the same whatever LATCHKEY_TEST_BACKEND says.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { call, cookieHeader } from "./support/http.ts";
import { decodeImage, encodeImage, pixel, near, quadrants } from "./support/images.ts";
import { startPostgres, type TestPostgres } from "./support/postgres.ts";
import { startS3, type TestS3 } from "./support/s3.ts";
import { startServer, TEST_JWT_KEY, type TestServer } from "./support/server.ts";
import { download, sha256, upload } from "./support/storage.ts";
import { awayFromStepEdge, totpCode } from "./support/totp.ts";

const COOKIE_SECRET = "scale-out-cookie-secret-0123456789abcdef";
const PASSWORD = "password-123";
const STEP_MS = 30_000;

let postgres: TestPostgres;
let s3: TestS3;
let a: TestServer;
let b: TestServer;
/** Every server started here, stopped in afterAll whatever happened to the test that started it. */
const servers: TestServer[] = [];
let counter = 0;

/** Settings for a pair of instances: a fresh database and bucket, the keys both must share. */
async function sharedEnv(): Promise<Record<string, string>> {
  const [database, bucket] = await Promise.all([postgres.database(), s3.bucket()]);
  return {
    DATABASE_URL: database,
    ...s3.env(bucket),
    JWT_KEY: TEST_JWT_KEY,
    COOKIE_SECRET,
    RATE_LIMIT_MAX_PER_ACCOUNT_AND_IP: "5",
  };
}

async function start(env: Record<string, string>): Promise<TestServer> {
  const server = await startServer(env);
  servers.push(server);
  return server;
}

beforeAll(async () => {
  [postgres, s3] = await Promise.all([startPostgres(), startS3()]);
  const env = await sharedEnv();
  // One after the other: the race at start-up has its own test below.
  a = await start(env);
  b = await start(env);
}, 120_000); // the first run on a machine without PostgreSQL installs it

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await s3?.stop();
  await postgres?.stop();
});

interface Session {
  email: string;
  refresh_token: string;
  jwt_token: string;
  user: { id: string };
}

async function register(server: TestServer): Promise<Session> {
  const email = `scale${++counter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await call(server.url, "POST", "/auth/register", { json: { email, password: PASSWORD, cookie: false } });
  expect(res.status).toBe(200);
  return { email, ...res.body };
}

const login = (server: TestServer, email: string, password = PASSWORD) =>
  call(server.url, "POST", "/auth/login", { json: { email, password, cookie: false } });
const refresh = (server: TestServer, token: string) => call(server.url, "GET", `/auth/token/refresh?refresh_token=${token}`);
const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });

const REFUSED_REFRESH = { statusCode: 401, error: "Unauthorized", message: "Invalid or expired refresh token." };

test("the two instances share the database and bucket but not the data directory", () => {
  expect(a.dataDir).not.toBe(b.dataDir);
  expect(a.url).not.toBe(b.url);
});

describe("refresh tokens", () => {
  test("a token rotated through A is refused by B; its successor from A works on B", async () => {
    const { refresh_token, user } = await register(a);
    const rotated = await refresh(a, refresh_token);
    expect(rotated.status).toBe(200);

    const replay = await refresh(b, refresh_token);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual(REFUSED_REFRESH);

    const onB = await refresh(b, rotated.body.refresh_token);
    expect(onB.status).toBe(200);
    expect(onB.body.user.id).toBe(user.id);
    expect(onB.body.refresh_token).not.toBe(rotated.body.refresh_token);
    // And back: A refuses what B spent and takes what B handed out.
    expect((await refresh(a, rotated.body.refresh_token)).status).toBe(401);
    expect((await refresh(a, onB.body.refresh_token)).status).toBe(200);
  });

  test("one token sent to A and B at the same time yields exactly one new session", async () => {
    const { refresh_token } = await register(a);
    const results = await Promise.all(Array.from({ length: 8 }, (_, index) => refresh(index % 2 ? b : a, refresh_token)));
    const won = results.filter((res) => res.status === 200);
    expect(won.length).toBe(1);
    expect(results.filter((res) => res.status === 401).length).toBe(7);
    expect((await refresh(b, won[0]!.body.refresh_token)).status).toBe(200);
  });
});

describe("rate limits", () => {
  test("failed passwords on A and on B add up to one limit per account and address", async () => {
    const { email } = await register(a);
    for (let attempt = 1; attempt <= 3; attempt++) expect((await login(a, email, `wrong-a-${attempt}`)).status).toBe(401);
    for (let attempt = 1; attempt <= 2; attempt++) expect((await login(b, email, `wrong-b-${attempt}`)).status).toBe(401);
    // 5 failures in all from this address (RATE_LIMIT_MAX_PER_ACCOUNT_AND_IP=5): the next attempt is refused on
    // either, right password or not.
    for (const server of [a, b]) {
      const limited = await login(server, email);
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ statusCode: 429, error: "Too Many Requests", message: "You are being rate limited." });
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });
});

describe("files", () => {
  test("a file uploaded through A comes back byte-identical through B, with the same metadata", async () => {
    const alice = await register(a);
    const key = `user/${alice.user.id}/notes.bin`;
    // Over one 5 MiB part, so the upload goes to S3 in multipart parts.
    const content = randomBytes(6 * 1024 * 1024);
    const uploaded = await upload(a.url, key, content, { headers: bearer(alice.jwt_token) });
    expect(uploaded.status).toBe(200);

    const got = await download(b.url, `/storage/o/${key}`, bearer(alice.jwt_token));
    expect(got.status).toBe(200);
    expect(await sha256(got.bytes)).toBe(await sha256(content));
    expect(got.headers.get("etag")).toBe(uploaded.body.ETag);

    const metadata = await call(b.url, "GET", `/storage/m/${key}`, { headers: bearer(alice.jwt_token) });
    expect(metadata.status).toBe(200);
    expect(metadata.body).toEqual(uploaded.body);
    // The file's token, made by A, opens it on B.
    expect((await download(b.url, `/storage/o/${key}?token=${uploaded.body.Metadata.token}`)).status).toBe(200);
    expect((await download(b.url, `/storage/o/${key}`)).status).toBe(403);
  });

  test("an image uploaded through A is transformed through B", async () => {
    const alice = await register(a);
    const key = `user/${alice.user.id}/photo.png`;
    const png = encodeImage("png", quadrants(120, 80), 120, 80);
    expect((await upload(a.url, key, png, { headers: bearer(alice.jwt_token), type: "image/png" })).status).toBe(200);

    const resized = await download(b.url, `/storage/o/${key}?w=60`, bearer(alice.jwt_token));
    expect(resized.status).toBe(200);
    const image = await decodeImage(resized.bytes);
    expect([image.format, image.width, image.height]).toEqual(["png", 60, 40]);
    expect(near(pixel(image, 5, 5), [255, 0, 0])).toBe(true); // top-left stays red
    expect(near(pixel(image, 55, 35), [255, 255, 255])).toBe(true); // bottom-right stays white

    // The variant B made is in the bucket: A serves the same bytes.
    const fromA = await download(a.url, `/storage/o/${key}?w=60`, bearer(alice.jwt_token));
    expect(fromA.status).toBe(200);
    expect(Buffer.from(fromA.bytes).equals(Buffer.from(resized.bytes))).toBe(true);
  });

  test("a file deleted through B is gone for A", async () => {
    const alice = await register(a);
    const key = `user/${alice.user.id}/short-lived.txt`;
    expect((await upload(a.url, key, "soon gone", { headers: bearer(alice.jwt_token), type: "text/plain" })).status).toBe(200);
    expect((await call(b.url, "DELETE", `/storage/o/${key}`, { headers: bearer(alice.jwt_token) })).status).toBe(204);
    expect((await download(a.url, `/storage/o/${key}`, bearer(alice.jwt_token))).status).toBe(404);
    expect((await call(a.url, "GET", `/storage/m/${key}`, { headers: bearer(alice.jwt_token) })).status).toBe(404);
  });
});

describe("TOTP", () => {
  test(
    "a code used on A is refused on B (replay); the next step's code works",
    async () => {
      const { email, jwt_token } = await register(a);
      const generated = await call(a.url, "POST", "/auth/mfa/generate", { headers: bearer(jwt_token) });
      expect(generated.status).toBe(200);
      const secret: string = generated.body.otp_secret;
      // Enabled on B with the previous step's code, leaving this step's code unused; the step must not change before
      // the replay below is checked, or the refusal would prove nothing.
      await awayFromStepEdge();
      const enabled = await call(b.url, "POST", "/auth/mfa/enable", { headers: bearer(jwt_token), json: { code: totpCode(secret, -1) } });
      expect(enabled.status).toBe(204);

      const code = totpCode(secret);
      const first = await login(a, email);
      expect(first.body).toEqual({ mfa: true, ticket: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      const session = await call(a.url, "POST", "/auth/mfa/totp", { json: { ticket: first.body.ticket, code, cookie: false } });
      expect(session.status).toBe(200);
      expect(session.body.user.email).toBe(email);

      const second = await login(b, email);
      expect(second.status).toBe(200);
      const replay = await call(b.url, "POST", "/auth/mfa/totp", { json: { ticket: second.body.ticket, code, cookie: false } });
      expect(replay.status).toBe(401);
      expect(replay.body.message).toBe("Invalid two-factor code.");

      // The next step's code is fresh: a ticket from A, redeemed on B.
      await Bun.sleep(STEP_MS - (Date.now() % STEP_MS) + 50);
      const third = await login(a, email);
      const fresh = await call(b.url, "POST", "/auth/mfa/totp", { json: { ticket: third.body.ticket, code: totpCode(secret), cookie: false } });
      expect(fresh.status).toBe(200);
      expect(fresh.body.user.email).toBe(email);
    },
    60_000, // waits for the next 30 s step
  );
});

describe("sessions", () => {
  test("an access token issued by A is accepted by B; a tampered one is not", async () => {
    const { jwt_token } = await register(a);
    expect((await call(b.url, "POST", "/auth/mfa/generate", { headers: bearer(jwt_token) })).status).toBe(200);
    // One character of the signature changed (not the last one, whose low bits are padding).
    const at = jwt_token.length - 10;
    const tampered = `${jwt_token.slice(0, at)}${jwt_token[at] === "A" ? "B" : "A"}${jwt_token.slice(at + 1)}`;
    expect((await call(b.url, "POST", "/auth/mfa/generate", { headers: bearer(tampered) })).status).toBe(401);
  });

  test("a refresh cookie set by A is accepted by B (shared COOKIE_SECRET)", async () => {
    const email = `cookie${++counter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
    const registered = await call(a.url, "POST", "/auth/register", { json: { email, password: PASSWORD } });
    expect(registered.status).toBe(200);
    const res = await call(b.url, "GET", "/auth/token/refresh", { headers: { cookie: cookieHeader(registered.cookies) } });
    expect(res.status).toBe(200);
    expect(res.cookies.some((cookie) => cookie.startsWith("refresh_token=s%3A"))).toBe(true);
  });

  test("logout on A ends the session for B", async () => {
    const { refresh_token } = await register(a);
    // B knows the session first: it rotates it.
    const onB = await refresh(b, refresh_token);
    expect(onB.status).toBe(200);
    expect((await call(a.url, "POST", `/auth/logout?refresh_token=${onB.body.refresh_token}`)).status).toBe(204);
    const after = await refresh(b, onB.body.refresh_token);
    expect(after.status).toBe(401);
    expect(after.body).toEqual(REFUSED_REFRESH);
  });

  test("logout of all sessions on A ends the ones made on B", async () => {
    const { email, refresh_token } = await register(a);
    const onB = await login(b, email);
    expect(onB.status).toBe(200);
    expect((await call(a.url, "POST", `/auth/logout?refresh_token=${refresh_token}`, { json: { all: true } })).status).toBe(204);
    expect((await refresh(b, onB.body.refresh_token)).status).toBe(401);
  });
});

describe("start-up", () => {
  test(
    "two instances starting at once on an empty database: both serve, exactly one migrates and generates the keys",
    async () => {
      // A few rounds, each on a fresh database and bucket: a race that one round misses, another may catch.
      for (let round = 1; round <= 5; round++) {
        // No JWT_KEY or COOKIE_SECRET: both instances find no key, and must end up with the same one.
        // lncrawl on: its `admin` account is made once too.
        const env: Record<string, string> = { ...(await sharedEnv()), JWT_KEY: "", COOKIE_SECRET: "", LNCRAWL_ENABLED: "true" };
        const pair = await Promise.all([start(env), start(env)]);
        const migrated = pair.filter((server) => server.output().includes("database migrated"));
        expect(migrated.length).toBe(1);
        for (const what of ["JWT signing key", "cookie signing secret"]) {
          expect(pair.filter((server) => server.output().includes(`generated a ${what} and stored it in the database`)).length).toBe(1);
        }
        // lncrawl's `admin` account is made once: the other instance finds it.
        expect(pair.filter((server) => server.output().includes('created the administrator account "admin"')).length).toBe(1);

        // Every migration recorded once, and they are the ones the migrating instance named.
        const sql = new Bun.SQL(env.DATABASE_URL!, { max: 1 });
        try {
          const [row] = await sql`SELECT count(*)::int AS total, count(DISTINCT created_at)::int AS distinct FROM drizzle.__drizzle_migrations`;
          const applied = /applied=(\S+)/.exec(migrated[0]!.output())![1]!.split(",");
          expect(row.total).toBe(applied.length);
          expect(row.distinct).toBe(applied.length);
        } finally {
          await sql.close();
        }

        // The tables exist once, for both: registered through one, signed in through the other.
        const [first, second] = pair as [TestServer, TestServer];
        const { email, jwt_token } = await register(first);
        expect((await login(second, email)).status).toBe(200);
        // Signed by one, accepted by the other: the generated key is the one in the database.
        expect((await call(second.url, "POST", "/auth/mfa/generate", { headers: bearer(jwt_token) })).status).toBe(200);
        const cookieEmail = `race-cookie${++counter}@example.com`;
        const withCookie = await call(second.url, "POST", "/auth/register", { json: { email: cookieEmail, password: PASSWORD } });
        expect(withCookie.status).toBe(200);
        const refreshed = await call(first.url, "GET", "/auth/token/refresh", { headers: { cookie: cookieHeader(withCookie.cookies) } });
        expect(refreshed.status).toBe(200);
        await Promise.all(pair.map((server) => server.stop()));
        servers.splice(servers.indexOf(pair[0]!), 1);
        servers.splice(servers.indexOf(pair[1]!), 1);
      }
    },
    90_000,
  );
});
