// Fuzzing from latchkey's own OpenAPI document (issues 23 and 24): every operation of /openapi/json, with every API on,
// gets generated, malformed and boundary inputs (test/support/fuzz-inputs.ts: bodies and queries made from the
// operation's documented schemas, as documented and with a field wrong; random JSON of every type, huge strings, deep
// nesting, NUL and lone surrogates, bad Content-Types, invalid JSON, empty bodies, odd query strings, odd path
// segments) with and without valid credentials. No answer may be a 5xx, every request must be answered (no hang),
// nothing may be logged as an unhandled error, and /healthz still answers at the end. Every 2xx and 4xx answer must be
// one the operation documents: its status, a documented media type, and (for JSON) a body that matches the schema.
// A fixed seed and a bounded number of runs keep it repeatable and within a few minutes on a busy machine.
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { arbitraries, documentedFields, type FuzzRequest, type Known, type Operation } from "./support/fuzz-inputs.ts";
import { schemaErrors, type Definitions, type JsonSchema } from "./support/json-schema.ts";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { call, cookieHeader } from "./support/http.ts";
import { encodeImage, quadrants } from "./support/images.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { startSmtp, type TestSmtp } from "./support/smtp.ts";
import { newUser, upload } from "./support/storage.ts";
import { usedAsName } from "./support/secrets.ts";

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
    WEBAUTHN_ENABLED: "true",
    // A key pair, generated: /auth/jwks then has keys to publish (with HS* it answers 501 on purpose).
    JWT_ALGORITHM: "ES256",
    JWT_KEY: "",
  });
});
afterAll(async () => {
  await server.stop();
  await smtp.close();
});

type Responses = Record<string, { content?: Record<string, { schema: JsonSchema }> }>;

interface DocumentedOperation extends Operation {
  responses: Responses;
}

interface DocumentOperation {
  parameters?: { in: string; name: string; schema?: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses?: Responses;
}

/** The document's named schemas, which its `$ref`s point to. */
let definitions: Definitions = {};

/** Every operation of the document, its `{param}`s left for the generator to fill. */
async function operations(): Promise<DocumentedOperation[]> {
  const document = await call(server.url, "GET", "/openapi/json");
  expect(document.status).toBe(200);
  definitions = document.body.components?.schemas ?? {};
  const found: DocumentedOperation[] = [];
  for (const [path, item] of Object.entries(document.body.paths as Record<string, Record<string, DocumentOperation>>)) {
    for (const [method, operation] of Object.entries(item)) {
      const query = (operation.parameters ?? []).filter((parameter) => parameter.in === "query").map((parameter) => ({ name: parameter.name, schema: parameter.schema ?? {} }));
      const content = Object.entries(operation.requestBody?.content ?? {});
      const body = content.length === 0 ? null : { schema: content[0]![1].schema, mediaTypes: content.map(([mediaType]) => mediaType) };
      found.push({ method: method.toUpperCase(), path, query, body, responses: operation.responses ?? {} });
    }
  }
  return found;
}

/** The path pattern of an operation: a request whose URL (after `..` and the like are resolved) no longer matches it reached another route. */
function pathPattern(path: string): RegExp {
  // Storage's {key} takes slashes; any other parameter is one segment.
  const pattern = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{key\}/g, ".*").replace(/\{[^}]+\}/g, "[^/]+");
  return new RegExp(`^${pattern}$`);
}

/** What is wrong with an answer the operation documents (its status, media type and, for JSON, its body); null when nothing. */
function undocumented(operation: DocumentedOperation, status: number, contentType: string | null, text: string): string | null {
  const documented = operation.responses[String(status)];
  if (!documented) return `status ${status} is not documented`;
  const mediaType = contentType?.split(";")[0]!.trim().toLowerCase() ?? null;
  const content = documented.content ?? {};
  if (Object.keys(content).length === 0) return text === "" ? null : `a body where none is documented: ${text.slice(0, 100)}`;
  if (mediaType === null) return text === "" ? null : "a body without a Content-Type";
  const [, media] =
    Object.entries(content).find(([name]) => name === mediaType || name === "*/*" || (name.endsWith("/*") && mediaType.startsWith(name.slice(0, -1)))) ?? [];
  if (!media) return `${mediaType} is not documented for ${status} (${Object.keys(content).join(", ")})`;
  if (mediaType !== "application/json") return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 100)}`;
  }
  const errors = schemaErrors(media.schema, body, definitions);
  return errors.length === 0 ? null : `${errors.join("; ")} in ${text.slice(0, 200)}`;
}

/** A signed-in user through each API, with a file and an image, so generated requests get past the first checks. */
async function knownState(): Promise<{ known: Known; signedIn: Record<string, string>[] }> {
  const user = await newUser(server.url);
  const email = (await call(server.url, "GET", `/faroe/users/${user.id}`, { headers: { authorization: FAROE_CREDENTIAL } })).body.email as string;
  const password = "password-123";
  // The fuzzer types the password into every field, addresses too, and a security event names the account typed.
  usedAsName(password);
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

/** A console session of lncrawl's generated administrator: its cookie and CSRF token as request headers. */
async function consoleSession(): Promise<Record<string, string>> {
  const password = (await Bun.file(`${server.dataDir}/admin-password.txt`).text()).trim();
  const answer = await call(server.url, "POST", "/console/api/session", { json: { email: "admin", password } });
  expect(answer.status).toBe(200);
  return { cookie: cookieHeader(answer.cookies), "x-csrf-token": answer.body.session.csrf_token };
}

interface Failure {
  request: string;
  outcome: string;
}

async function send(operation: DocumentedOperation, request: FuzzRequest): Promise<Failure | null> {
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
    if (response.status >= 500) return { request: described, outcome: `${response.status} ${text.slice(0, 300)}` };
    // Bun's HTTP server answers 414 and 431 itself (a URL or headers too large) before any route sees the request.
    const reached = pathPattern(operation.path).test(new URL(request.target, server.url).pathname) && ![414, 431].includes(response.status);
    if (!reached || (response.status >= 300 && response.status < 400)) return null;
    const wrong = undocumented(operation, response.status, response.headers.get("content-type"), text);
    return wrong === null ? null : { request: described, outcome: `${response.status}: ${wrong}` };
  } catch (error) {
    return { request: described, outcome: `no answer: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` };
  }
}

/** Sends every request, CONCURRENCY at a time; the failures, in the order the requests were generated. */
async function sendAll(requests: [DocumentedOperation, FuzzRequest][]): Promise<Failure[]> {
  const outcomes: (Failure | null)[] = new Array(requests.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      const [operation, request] = requests[index]!;
      outcomes[index] = await send(operation, request);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes.filter((outcome): outcome is Failure => outcome !== null);
}

test(
  "every operation of /openapi/json, fuzzed: no 5xx, no hang, no unhandled error, every answer as documented, and /healthz still answers",
  async () => {
    const all = await operations();
    // Each API's operations are there: a document that lost some would make this test pass for nothing.
    for (const prefix of ["/auth/", "/storage/", "/faroe/", "/api/auth/", "/wolfpal/", "/console/api/"]) {
      expect(all.some((operation) => operation.path.startsWith(prefix))).toBe(true);
    }
    const { known, signedIn } = await knownState();
    const generate = arbitraries(known, documentedFields(all));
    const forged: Record<string, string>[] = [{ authorization: "Bearer not.a.jwt" }, { authorization: "Basic !!!" }, { "x-admin-secret": "wrong" }];
    // The console answers nothing but 401 without a session: each of its operations gets a session of its own (one
    // of them signs out), most of its requests carry it, with the CSRF token; some carry a forged cookie.
    const consoleSessions = new Map<string, Record<string, string>>();
    for (const operation of all.filter((candidate) => candidate.path.startsWith("/console/api/"))) {
      consoleSessions.set(`${operation.method} ${operation.path}`, await consoleSession());
    }
    const requests = all.flatMap((operation, index) => {
      const session = consoleSessions.get(`${operation.method} ${operation.path}`);
      // Faroe answers nothing but 401 without its credential: most of its requests carry it.
      const credentials: Record<string, string>[] = operation.path.startsWith("/faroe")
        ? [{ authorization: FAROE_CREDENTIAL }, { authorization: FAROE_CREDENTIAL }, { authorization: FAROE_CREDENTIAL }, {}, ...forged]
        : session
          ? [session, session, session, { cookie: session.cookie! }, {}, { cookie: "latchkey_console=forged" }, ...signedIn]
          : [{}, ...signedIn, { "x-admin-secret": ADMIN_SECRET }, ...forged];
      return fc.sample(generate.request(operation, credentials), { seed: SEED + index, numRuns: RUNS_PER_OPERATION }).map((request): [DocumentedOperation, FuzzRequest] => [operation, request]);
    });

    const failures = await sendAll(requests);
    // What the server said about a failure (its ERROR lines carry the stack), for whoever reads a CI log.
    if (failures.length > 0) console.error(server.output().split("\n").filter((line) => / ERROR /.test(line)).join("\n"));
    expect(failures).toEqual([]);

    const health = await call(server.url, "GET", "/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toBe("OK");
    expect(server.output()).not.toContain("unhandled error");
  },
  240_000,
);
