// The OpenAPI document, built from the routes themselves: each route's path and schemas (body, query, params), as
// Elysia holds them, and what its table says of it in `detail` (src/apis/route-docs.ts: summary, every answer with
// its schema; the guards add the credentials they read). Nothing is written twice, so the document cannot drift from
// the code; test/openapi.test.ts fails on an operation without a request schema, responses or security.
//
// Built here rather than by @elysiajs/openapi, which leaves the request body empty for every route with a parse hook
// (every dialect reads bodies through the edge reader, src/http/edge-input.ts) and writes storage's `*` as it is.
import { OptionalKind } from "@sinclair/typebox";
import type { InternalRoute } from "elysia";
import type { OpenAPIV3_1 } from "openapi-types";
import { CONTENT_TYPES, edgePolicyOf } from "../http/edge-input.ts";
import { SECURITY_SCHEMES } from "../apis/security.ts";

const METHODS = new Set(["get", "put", "post", "delete", "patch", "head"]);

export interface DocumentInfo {
  version: string;
  /** PUBLIC_URL: where clients reach the server. */
  serverUrl: string;
}

type Schema = OpenAPIV3_1.SchemaObject;
type Parameter = OpenAPIV3_1.ParameterObject;

export function openApiDocument(routes: readonly InternalRoute[], info: DocumentInfo): OpenAPIV3_1.Document {
  const paths: OpenAPIV3_1.PathsObject = {};
  const tags = new Set<string>();
  for (const route of routes) {
    const method = route.method.toLowerCase();
    const detail = (route.hooks.detail ?? {}) as Record<string, unknown>;
    if (detail.hide === true || !METHODS.has(method)) continue;
    const { path, parameters } = documentedPath(route.path, route.hooks.params as Schema | undefined, detail.parameters as Parameter[] | undefined);
    parameters.push(...queryParameters(route.hooks.query as Schema | undefined));
    const { hide: _hide, parameters: _parameters, ...described } = detail;
    const operation: OpenAPIV3_1.OperationObject = {
      operationId: `${method}${operationName(path)}`,
      ...described,
      ...(parameters.length > 0 ? { parameters } : {}),
    };
    const requestBody = (detail.requestBody as OpenAPIV3_1.RequestBodyObject | undefined) ?? requestBodyOf(route);
    if (requestBody) operation.requestBody = requestBody;
    for (const tag of operation.tags ?? []) tags.add(tag);
    (paths[path] ??= {})[method as OpenAPIV3_1.HttpMethods] = operation as OpenAPIV3_1.PathItemObject["get"];
  }
  const named = hoistNamedSchemas(paths);
  return {
    openapi: "3.1.0",
    info: {
      title: "latchkey",
      version: info.version,
      description:
        "Self-hosted auth and file storage: HBP (Hasura Backend Plus) under /auth and /storage, Faroe's server-to-server API, " +
        "lncrawl's /api/auth and WolfPal's form-encoded auth, over one user base. Each API answers errors in its own shape.",
    },
    servers: [{ url: info.serverUrl }],
    tags: [...tags].map((name) => ({ name })),
    components: { schemas: named.schemas, securitySchemes: SECURITY_SCHEMES },
    paths: named.paths,
  };
}

/**
 * Schemas written with a `$id` (each dialect's error shape, its main models) are listed once under components.schemas,
 * and every use refers to them: a client generator gets one named type, and the document stays small.
 */
function hoistNamedSchemas(paths: OpenAPIV3_1.PathsObject): { paths: OpenAPIV3_1.PathsObject; schemas: Record<string, Schema> } {
  const schemas: Record<string, Schema> = {};
  const hoisted = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(hoisted);
    if (typeof node !== "object" || node === null) return node;
    const { $id, ...rest } = node as Record<string, unknown>;
    const walked = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, hoisted(value)])) as Schema;
    if (typeof $id !== "string") return walked;
    if ($id in schemas && !Bun.deepEquals(schemas[$id], walked)) throw new Error(`Two different schemas are named ${$id}`);
    schemas[$id] = walked;
    return { $ref: `#/components/schemas/${$id}` };
  };
  // Through JSON first: TypeBox's symbols go, and what is left is what the document will say.
  return { paths: hoisted(JSON.parse(JSON.stringify(paths))) as OpenAPIV3_1.PathsObject, schemas };
}

/**
 * Elysia's path as OpenAPI writes it: `:user_id` -> `{user_id}`, and a trailing `*` (storage's keys, slashes
 * included) -> the path parameter the route's detail describes (else `{path}`). Every path parameter is listed, with
 * the route's params schema where it has one.
 */
function documentedPath(elysiaPath: string, params: Schema | undefined, described: Parameter[] = []): { path: string; parameters: Parameter[] } {
  const names = [...elysiaPath.matchAll(/:([^/]+)/g)].map((match) => match[1]!);
  const wildcard = elysiaPath.endsWith("*") ? (described.find((parameter) => parameter.in === "path" && !names.includes(parameter.name))?.name ?? "path") : null;
  const path = elysiaPath.replace(/:([^/]+)/g, "{$1}").replace(/\*$/, `{${wildcard}}`);
  const parameters = [...names, ...(wildcard ? [wildcard] : [])].map(
    (name): Parameter =>
      described.find((parameter) => parameter.in === "path" && parameter.name === name) ?? {
        name,
        in: "path",
        required: true,
        schema: (params?.properties?.[name] as Parameter["schema"]) ?? { type: "string" },
      },
  );
  return { path, parameters: [...parameters, ...described.filter((parameter) => parameter.in !== "path")] };
}

function queryParameters(query: Schema | undefined): Parameter[] {
  if (!query?.properties) return [];
  const required = new Set(query.required ?? []);
  return Object.entries(query.properties).map(([name, schema]): Parameter => ({ name, in: "query", required: required.has(name), schema: schema as Parameter["schema"] }));
}

/** The route's body schema, under each media type its edge reader takes. */
function requestBodyOf(route: InternalRoute): OpenAPIV3_1.RequestBodyObject | null {
  const schema = route.hooks.body as Schema | undefined;
  if (!schema || typeof schema !== "object") return null;
  const parse = ([] as unknown[]).concat(route.hooks.parse ?? []).map((hook) => (hook as { fn?: unknown }).fn ?? hook);
  const policy = parse.map(edgePolicyOf).find((found) => found !== null);
  const mediaTypes = policy ? policy.mediaTypes.map((type) => CONTENT_TYPES[type]) : ["application/json"];
  return {
    required: !(OptionalKind in schema),
    content: Object.fromEntries(mediaTypes.map((type) => [type, { schema }])),
  };
}

/** `/auth/token/refresh` -> `AuthTokenRefresh`, `/faroe/users/{user_id}` -> `FaroeUsersByUserId`. */
function operationName(path: string): string {
  return path
    .split(/[/.-]/)
    .filter(Boolean)
    .map((part) => {
      const parameter = /^\{(.+)\}$/.exec(part);
      const word = (parameter ? parameter[1]! : part).replace(/_(.)/g, (_, letter: string) => letter.toUpperCase());
      return `${parameter ? "By" : ""}${word.charAt(0).toUpperCase()}${word.slice(1)}`;
    })
    .join("");
}
