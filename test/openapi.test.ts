// The OpenAPI document is complete (issue 24): with every API on, every operation of /openapi/json has its request
// schema (a body wherever its handler reads one, its query parameters), its responses with their schemas, and its
// security wherever it is guarded; the document names its server and every credential. test/fuzz.test.ts then checks
// the server's answers against these schemas.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { createLatchkey, type Latchkey } from "../src/server.ts";
import { FAROE_CREDENTIAL } from "./support/faroe.ts";
import { call } from "./support/http.ts";
import { startServer, TEST_JWT_KEY, type TestServer } from "./support/server.ts";

const PUBLIC_URL = "https://auth.example.test";
const ALL_APIS = {
  FAROE_CREDENTIAL,
  LNCRAWL_ENABLED: "true",
  WOLFPAL_ENABLED: "true",
  ADMIN_SECRET: "openapi-admin-secret-0123456789",
  PUBLIC_URL,
};

interface Operation {
  method: string;
  path: string;
  operationId?: string;
  summary?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: object }[];
  requestBody?: { content?: Record<string, { schema?: object }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: object }> }>;
  security?: Record<string, string[]>[];
}

let server: TestServer;
let document: {
  openapi: string;
  servers?: { url: string }[];
  components?: { schemas?: Record<string, object>; securitySchemes?: Record<string, Record<string, string>> };
  paths: Record<string, Record<string, Operation>>;
};
let operations: Operation[];

beforeAll(async () => {
  server = await startServer(ALL_APIS);
  const answer = await call(server.url, "GET", "/openapi/json");
  expect(answer.status).toBe(200);
  document = answer.body;
  operations = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ ...operation, method, path })));
});
afterAll(() => server.stop());

const name = (operation: Operation) => `${operation.method.toUpperCase()} ${operation.path}`;

/** A schema worth the name: a type, properties, a union, or a reference. */
function isSchema(schema: unknown): boolean {
  if (typeof schema !== "object" || schema === null) return false;
  return ["type", "properties", "anyOf", "oneOf", "allOf", "$ref", "const", "enum"].some((key) => key in schema);
}

/** The names of operations that break `rule`, so a failure lists all of them. */
function breaking(rule: (operation: Operation) => boolean): string[] {
  return operations.filter((operation) => !rule(operation)).map(name);
}

test("every API's operations are in it, and every security scheme and schema it names is defined", () => {
  for (const prefix of ["/auth/", "/storage/", "/faroe/", "/api/auth/", "/wolfpal/", "/healthz", "/readyz"]) {
    expect(operations.some((operation) => operation.path.startsWith(prefix))).toBe(true);
  }
  expect(document.openapi).toMatch(/^3\.1\./);
  const schemes = document.components?.securitySchemes ?? {};
  expect(breaking((operation) => (operation.security ?? []).every((requirement) => Object.keys(requirement).every((scheme) => scheme in schemes)))).toEqual([]);
  const named = document.components?.schemas ?? {};
  const references = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map(([, reference]) => reference!);
  expect(references.length).toBeGreaterThan(0);
  expect(references.filter((reference) => !(reference.startsWith("#/components/schemas/") && reference.slice(21) in named))).toEqual([]);
});

test("servers is PUBLIC_URL, and the credentials are security schemes: bearer JWT, the refresh cookie, Faroe's credential, the admin secret", () => {
  expect(document.servers).toEqual([{ url: PUBLIC_URL }]);
  const schemes = document.components?.securitySchemes ?? {};
  expect(schemes.bearerJwt).toMatchObject({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
  expect(schemes.refreshCookie).toMatchObject({ type: "apiKey", in: "cookie", name: "refresh_token" });
  expect(schemes.faroeCredential).toMatchObject({ type: "apiKey", in: "header", name: "Authorization" });
  expect(schemes.adminSecret).toMatchObject({ type: "apiKey", in: "header", name: "x-admin-secret" });
});

test("every operation has a summary, a unique operationId and responses: a success, each with a description", () => {
  expect(breaking((operation) => typeof operation.summary === "string" && operation.summary.length > 0)).toEqual([]);
  const ids = operations.map((operation) => operation.operationId);
  expect(new Set(ids).size).toBe(operations.length);
  expect(breaking((operation) => Object.keys(operation.responses ?? {}).some((status) => /^[23]\d\d$/.test(status)))).toEqual([]);
  expect(breaking((operation) => Object.values(operation.responses ?? {}).every((response) => (response.description ?? "").length > 0))).toEqual([]);
});

test("every answer that has a body documents its schema, and every error its shape as JSON", () => {
  const bodiless = (status: string) => status === "204" || status === "416" || /^3\d\d$/.test(status);
  expect(
    breaking((operation) =>
      Object.entries(operation.responses ?? {}).every(([status, response]) => {
        if (bodiless(status)) return true;
        const content = Object.values(response.content ?? {});
        if (content.length === 0 || !content.every((media) => isSchema(media.schema))) return false;
        return !/^[45]/.test(status) || isSchema(response.content?.["application/json"]?.schema);
      }),
    ),
  ).toEqual([]);
});

test("every path parameter is declared with a schema, and no path keeps Elysia's literal *", () => {
  expect(operations.filter((operation) => operation.path.includes("*")).map(name)).toEqual([]);
  expect(
    breaking((operation) =>
      [...operation.path.matchAll(/\{([^}]+)\}/g)].every(([, parameter]) =>
        (operation.parameters ?? []).some((declared) => declared.in === "path" && declared.name === parameter && declared.required === true && isSchema(declared.schema)),
      ),
    ),
  ).toEqual([]);
});

test("a guarded operation declares its security and documents its 401: the routes that answer 401 without credentials", async () => {
  const without: string[] = [];
  for (const operation of operations) {
    const path = operation.path.replace("{key}", "public/openapi.txt").replace(/\{[^}]+\}/g, "x");
    const answer = await fetch(`${server.url}${path}`, { method: operation.method.toUpperCase(), redirect: "manual" });
    await answer.arrayBuffer();
    if (answer.status === 401) without.push(name(operation));
  }
  // Every API has guarded routes: a probe that found none would make this test pass for nothing.
  for (const prefix of ["POST /auth/", "GET /api/auth/", "POST /wolfpal/", "GET /faroe/"]) expect(without.some((found) => found.startsWith(prefix))).toBe(true);
  const guarded = operations.filter((operation) => without.includes(name(operation)));
  expect(guarded.filter((operation) => !(operation.security ?? []).some((requirement) => Object.keys(requirement).length > 0)).map(name)).toEqual([]);
  // And wherever a credential is required (no empty requirement among the alternatives), a 401 is documented.
  const required = operations.filter((operation) => operation.security && !operation.security.some((requirement) => Object.keys(requirement).length === 0));
  expect(required.filter((operation) => !operation.responses?.["401"]).map(name)).toEqual([]);
});

describe("request schemas, against the routes themselves", () => {
  let latchkey: Latchkey;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "latchkey-openapi-"));
    latchkey = await createLatchkey(loadConfig({ ...ALL_APIS, DATA_DIR: dataDir, JWT_KEY: TEST_JWT_KEY }), { logger: silentLogger });
  });
  afterAll(async () => {
    await latchkey.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The documented operation of an Elysia route: `:id` is `{id}`, storage's `*` is `{key}`. */
  function operationOf(route: { method: string; path: string }): Operation | undefined {
    const path = route.path.replace(/:([^/]+)/g, "{$1}").replace(/\*$/, "{key}");
    return document.paths[path]?.[route.method.toLowerCase()];
  }

  const shown = (route: { method: string; path: string; hooks: { detail?: { hide?: boolean } } }) =>
    route.hooks.detail?.hide !== true && route.method !== "OPTIONS" && route.method !== "ALL";

  test("every route is in the document", () => {
    const missing = latchkey.app.routes.filter(shown).filter((route) => !operationOf(route));
    expect(missing.map((route) => `${route.method} ${route.path}`)).toEqual([]);
  });

  test("a route whose handler reads its body documents the body's schema: Elysia's own where it has one", () => {
    const failures: string[] = [];
    for (const route of latchkey.app.routes.filter(shown)) {
      const operation = operationOf(route)!;
      // The handler's parameters, as written: `({ exchange, body }) => ...`.
      const parameters = String(route.handler).split("=>")[0]!;
      const readsBody = /\bbody\b/.test(parameters) || (route.method === "POST" && /\brequest\b/.test(parameters));
      const media = Object.values(operation.requestBody?.content ?? {});
      if (readsBody && (media.length === 0 || !media.every((entry) => isSchema(entry.schema)))) failures.push(`${route.method} ${route.path}: no body schema`);
      const elysiaBody = route.hooks.body;
      if (elysiaBody && !media.every((entry) => Bun.deepEquals(entry.schema, JSON.parse(JSON.stringify(elysiaBody))))) {
        failures.push(`${route.method} ${route.path}: the body schema is not Elysia's`);
      }
    }
    expect(failures).toEqual([]);
  });

  test("a route with a query schema documents each of its parameters", () => {
    const failures: string[] = [];
    for (const route of latchkey.app.routes.filter(shown)) {
      const query = route.hooks.query as { properties?: Record<string, unknown> } | undefined;
      const documented = (operationOf(route)!.parameters ?? []).filter((parameter) => parameter.in === "query").map((parameter) => parameter.name);
      for (const parameter of Object.keys(query?.properties ?? {})) {
        if (!documented.includes(parameter)) failures.push(`${route.method} ${route.path}: ?${parameter}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
