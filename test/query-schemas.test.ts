// Every route's query schema is checked, in the compiled binary as from source. Elysia reads each handler's source
// to learn whether it uses its query; a build that renamed identifiers (`({ query: a }) => list(a)`) hid that, and
// the binary then checked no query schema of the console: `GET /console/api/users?limit=1000` (maximum 100) answered
// 200 with the string "1000", and a thumbnail's width had no bound. So for every operation of /openapi/json with a
// bounded query parameter (a maximum, a maximum length, a pattern), one out of bounds gets the API's 400 or 422, and
// nothing else. .ci/run runs this file on the binary too (LATCHKEY_TEST_BINARY).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { consoleSignIn, type ConsoleClient } from "./support/console.ts";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import { startServer, type TestServer } from "./support/server.ts";

const ADMIN_EMAIL = "root@query-schemas.example";
const ADMIN_PASSWORD = "query-schemas-admin-password-1";

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: { type?: string; maximum?: number; maxLength?: number; pattern?: string; anyOf?: unknown[] };
}

interface Probe {
  method: string;
  path: string;
  parameter: string;
  value: string;
}

let server: TestServer;
let admin: ConsoleClient;
let probes: Probe[];

/** A value the parameter's schema refuses, or null when it has no bound to break. */
function outOfBounds(parameter: Parameter): string | null {
  const schema = parameter.schema ?? {};
  if (typeof schema.maximum === "number") return String(schema.maximum + 1);
  if (typeof schema.maxLength === "number") return "a".repeat(schema.maxLength + 1);
  return null;
}

beforeAll(async () => {
  server = await startServer({
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    FAROE_CREDENTIAL,
    LNCRAWL_ENABLED: "true",
    WOLFPAL_ENABLED: "true",
    MAGIC_LINK_ENABLED: "true",
    REDIRECT_URL_SUCCESS: "http://app.example/signed-in",
  });
  admin = await consoleSignIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  const document = (await call(server.url, "GET", "/openapi/json")).body as { paths: Record<string, Record<string, { parameters?: Parameter[] }>> };
  probes = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).flatMap(([method, operation]) =>
      (operation.parameters ?? [])
        .filter((parameter) => parameter.in === "query")
        .flatMap((parameter) => {
          const value = outOfBounds(parameter);
          return value === null ? [] : [{ method: method.toUpperCase(), path, parameter: parameter.name, value }];
        }),
    ),
  );
});
afterAll(() => server.stop());

test("the document has bounded query parameters on every API that has queries, the console's included", () => {
  const paths = new Set(probes.map((probe) => probe.path));
  for (const path of ["/auth/token/refresh", "/api/auth/verify-token", "/console/api/users", "/console/api/files/thumbnail", "/console/api/audit"]) {
    expect(paths.has(path)).toBe(true);
  }
});

test("a query parameter out of its bounds gets 400 or 422 on every route, whatever else the request has", async () => {
  const answers: string[] = [];
  for (const probe of probes) {
    // Path parameters get a plain value; the console's routes are called with an administrator's session, so its
    // guard lets them through to the query's check.
    const path = probe.path.replace(/\{[^}]+\}/g, "x");
    const url = `${path}?${new URLSearchParams({ [probe.parameter]: probe.value })}`;
    const answer = path.startsWith("/console/api/")
      ? await admin.call(probe.method, url.slice("/console/api".length))
      : await call(server.url, probe.method, url);
    answers.push(`${probe.method} ${probe.path} ${probe.parameter}: ${answer.status}`);
  }
  expect(answers.filter((answer) => !/: (400|422)$/.test(answer))).toEqual([]);
  expect(answers.length).toBeGreaterThanOrEqual(10);
});

test("the console's lists refuse a page size above their maximum, in the console's error shape", async () => {
  for (const path of ["/users", "/mail", "/security-events", "/audit", "/files"]) {
    const answer = await admin.call("GET", `${path}?limit=1000`);
    expect({ path, status: answer.status, code: answer.body?.error?.code }).toEqual({ path, status: 400, code: "invalid_request" });
  }
  const thumbnail = await admin.call("GET", "/files/thumbnail?key=public/a.png&w=100000");
  expect(thumbnail.status).toBe(400);
});
