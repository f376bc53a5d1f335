// Fuzzing from latchkey's own OpenAPI document (issue 23): every operation of /openapi/json, with every API on, gets
// generated, malformed and boundary inputs (test/support/fuzz-inputs.ts: random JSON of every type, wrong types for
// the fields the APIs read, huge strings, deep nesting, NUL and lone surrogates, bad Content-Types, invalid JSON, empty
// bodies, odd query strings, odd path segments) with and without valid credentials. No answer may be a 5xx, every
// request must be answered (no hang), nothing may be logged as an unhandled error, and /healthz still answers at the
// end. A fixed seed and a bounded number of runs keep it repeatable and within about a minute on a busy machine.
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { arbitraries, type FuzzRequest, type Known, type Operation } from "./support/fuzz-inputs.ts";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import { encodeImage, quadrants } from "./support/images.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { startSmtp, type TestSmtp } from "./support/smtp.ts";
import { newUser, upload } from "./support/storage.ts";

const SEED = 23;
const RUNS_PER_OPERATION = 80;
const CONCURRENCY = 4;
const REQUEST_TIMEOUT_MS = 15_000;
const ADMIN_SECRET = "fuzz-admin-secret-0123456789";

let smtp: TestSmtp;
let server: TestServer;
beforeAll(async () => {
  smtp = await startSmtp();
  server = await startServer({
    ...smtp.env,
    FAROE_CREDENTIAL,
    LNCRAWL_ENABLED: "true",
    WOLFPAL_ENABLED: "true",
    ADMIN_SECRET,
    MAGIC_LINK_ENABLED: "true",
    REDIRECT_URL_SUCCESS: "http://app.example/signed-in",
    LOST_PASSWORD_ENABLED: "true",
    MFA_ENABLED: "true",
    ANONYMOUS_USERS_ENABLED: "true",
    USER_IMPERSONATION_ENABLED: "true",
    CHANGE_EMAIL_ENABLED: "true",
    // A key pair, generated: /auth/jwks then has keys to publish (with HS* it answers 501 on purpose).
    JWT_ALGORITHM: "ES256",
    JWT_KEY: "",
  });
});
afterAll(async () => {
  await server.stop();
  await smtp.close();
});

/** Every operation of the document, `{param}` and the storage `*` left for the generator to fill. */
async function operations(): Promise<Operation[]> {
  const document = await call(server.url, "GET", "/openapi/json");
  expect(document.status).toBe(200);
  const found: Operation[] = [];
  for (const [path, item] of Object.entries(document.body.paths as Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>)) {
    for (const [method, operation] of Object.entries(item)) {
      const queryNames = (operation.parameters ?? []).filter((parameter) => parameter.in === "query").map((parameter) => parameter.name);
      found.push({ method: method.toUpperCase(), path, queryNames });
    }
  }
  return found;
}

/** A signed-in user through each API, with a file and an image, so generated requests get past the first checks. */
async function knownState(): Promise<{ known: Known; signedIn: Record<string, string>[] }> {
  const user = await newUser(server.url);
  const email = (await call(server.url, "GET", `/faroe/users/${user.id}`, { headers: { authorization: FAROE_CREDENTIAL } })).body.email as string;
  const password = "password-123";
  const image = encodeImage("png", quadrants(64, 48), 64, 48);
  expect((await upload(server.url, `user/${user.id}/fuzz.png`, image, { headers: user.auth, type: "image/png" })).status).toBe(200);
  expect((await upload(server.url, `user/${user.id}/notes.txt`, "notes", { headers: user.auth, type: "text/plain" })).status).toBe(200);
  const lncrawl = await call(server.url, "POST", "/api/auth/login", { json: { email, password } });
  expect(lncrawl.status).toBe(200);
  const wolfpal = await call(server.url, "POST", "/wolfpal/auth/login", { json: { email, password } });
  expect(wolfpal.status).toBe(200);
  return {
    known: { userId: user.id, email, password, fileKeys: [`user/${user.id}/fuzz.png`, `user/${user.id}/notes.txt`] },
    signedIn: [user.auth, { authorization: `Bearer ${lncrawl.body.token}` }, { authorization: `Bearer ${wolfpal.body.access_token}` }],
  };
}

interface Failure {
  request: string;
  outcome: string;
}

async function send(request: FuzzRequest): Promise<Failure | null> {
  const described = `${request.method} ${request.target.slice(0, 200)} [${request.kind}] ${JSON.stringify(request.headers).slice(0, 200)}`;
  try {
    const response = await fetch(`${server.url}${request.target}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return response.status >= 500 ? { request: described, outcome: `${response.status} ${text.slice(0, 300)}` } : null;
  } catch (error) {
    return { request: described, outcome: `no answer: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` };
  }
}

/** Sends every request, CONCURRENCY at a time; the failures, in the order the requests were generated. */
async function sendAll(requests: FuzzRequest[]): Promise<Failure[]> {
  const outcomes: (Failure | null)[] = new Array(requests.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      outcomes[index] = await send(requests[index]!);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes.filter((outcome): outcome is Failure => outcome !== null);
}

test(
  "every operation of /openapi/json, fuzzed: no 5xx, no hang, no unhandled error, and /healthz still answers",
  async () => {
    const all = await operations();
    // Each API's operations are there: a document that lost some would make this test pass for nothing.
    for (const prefix of ["/auth/", "/storage/", "/faroe/", "/api/auth/", "/wolfpal/"]) {
      expect(all.some((operation) => operation.path.startsWith(prefix))).toBe(true);
    }
    const { known, signedIn } = await knownState();
    const generate = arbitraries(known);
    const forged: Record<string, string>[] = [{ authorization: "Bearer not.a.jwt" }, { authorization: "Basic !!!" }, { "x-admin-secret": "wrong" }];
    const requests = all.flatMap((operation, index) => {
      // Faroe answers nothing but 401 without its credential: most of its requests carry it.
      const credentials: Record<string, string>[] = operation.path.startsWith("/faroe")
        ? [{ authorization: FAROE_CREDENTIAL }, { authorization: FAROE_CREDENTIAL }, { authorization: FAROE_CREDENTIAL }, {}, ...forged]
        : [{}, ...signedIn, { "x-admin-secret": ADMIN_SECRET }, ...forged];
      return fc.sample(generate.request(operation, credentials), { seed: SEED + index, numRuns: RUNS_PER_OPERATION });
    });

    const failures = await sendAll(requests);
    expect(failures).toEqual([]);

    const health = await call(server.url, "GET", "/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toBe("OK");
    expect(server.output()).not.toContain("unhandled error");
  },
  240_000,
);
