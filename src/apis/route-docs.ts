// What a route says of itself in its table (its `detail`): a summary and every answer it can give, success and
// errors, each with its schema. The guards add the credentials they read (`security`). src/docs builds the OpenAPI
// document from these and from the route's own schemas (body, query, params), so the table is the one place to read.
//
// Response schemas here are documentation: Elysia does not check answers against them (that would cost every
// request); test/fuzz.test.ts checks that what the server answers matches them.
import { t, type TSchema } from "elysia";
import type { OpenAPIV3 } from "openapi-types";
import type { Security } from "./security.ts";

/** A schema in the document: a TypeBox schema (written with `t`) is one already. */
export type Schema = TSchema | OpenAPIV3.SchemaObject;

/** An integer in an answer (Elysia's `t.Integer` also takes a numeric string, for queries). */
export function integer(options: { description?: string } = {}) {
  return t.Unsafe<number>({ type: "integer", ...options });
}

/**
 * True when a schema describes a type exactly: `true satisfies Describes<typeof schema, FileMetadata>;` stops tsc once
 * either changes alone.
 */
export type Describes<Schema extends TSchema, Type> = [Schema["static"]] extends [Type] ? ([Type] extends [Schema["static"]] ? true : false) : false;

export interface ResponseDoc {
  description: string;
  content?: Record<string, { schema: Schema }>;
  headers?: Record<string, { description: string; schema: Schema }>;
}

/** By status code. */
export type ResponseDocs = Record<string, ResponseDoc>;

/** A request body that no Elysia schema describes (storage's streamed upload, WolfPal's own field rules). */
export interface RequestBodyDoc {
  required: boolean;
  content: Record<string, { schema: Schema }>;
}

export interface RouteDetail {
  tags: string[];
  summary: string;
  description?: string;
  responses: ResponseDocs;
  requestBody?: RequestBodyDoc;
  /** The credentials a route reads without a guard (a guard adds its own): HBP's refresh cookie, its x-admin-secret. */
  security?: Security;
  /** Parameters no Elysia schema describes: the name and meaning of a trailing `*`, a query a handler reads itself. */
  parameters?: OpenAPIV3.ParameterObject[];
}

export function json(schema: Schema, description: string): ResponseDoc {
  return { description, content: { "application/json": { schema } } };
}

/** An answer of another media type; its schema is a string of bytes unless given. */
export function media(mediaType: string, description: string, schema: Schema = { type: "string" }): ResponseDoc {
  return { description, content: { [mediaType]: { schema } } };
}

export function noContent(description: string): ResponseDoc {
  return { description };
}

export function redirect(description: string): ResponseDoc {
  return { description, headers: { location: { description: "Where the browser goes next.", schema: { type: "string" } } } };
}

export interface DialectDocs {
  tags: string[];
  /** The dialect's one error shape. */
  error: Schema;
  /** Errors any route of the dialect may answer (the edge's refusals of a URL), by status. */
  everyRoute: Record<number, string>;
  /** Errors any route that reads a body may answer (the edge's refusals of a body): every method but GET. */
  withBody: Record<number, string>;
}

/** An answer: a ResponseDoc, or a string for an error in the dialect's shape (its description). */
export type Answer = ResponseDoc | string;

type MoreDetail = Partial<Omit<RouteDetail, "summary" | "responses">>;

export interface RouteDocs {
  /** For a route that reads a body (every method but GET). */
  (summary: string, answers: Record<number, Answer>, more?: MoreDetail): RouteDetail;
  /** For a GET route: no body, so none of the body's refusals. */
  get(summary: string, answers: Record<number, Answer>, more?: MoreDetail): RouteDetail;
}

/**
 * The dialect's `doc(summary, answers)` for its route table. The errors every route may answer are added to each;
 * where a route already gives that status, the two descriptions and contents are merged.
 */
export function routeDocs(dialect: DialectDocs): RouteDocs {
  const errorDoc = (description: string): ResponseDoc => json(dialect.error, description);
  const build = (refusals: Record<number, string>) => (summary: string, answers: Record<number, Answer>, more: MoreDetail = {}): RouteDetail => {
    const responses: ResponseDocs = {};
    for (const [status, answer] of Object.entries(answers)) responses[status] = typeof answer === "string" ? errorDoc(answer) : { ...answer };
    for (const [status, description] of Object.entries(refusals)) {
      const given = responses[status];
      responses[status] = given ? merged(given, errorDoc(description)) : errorDoc(description);
    }
    return { tags: dialect.tags, summary, ...more, responses };
  };
  return Object.assign(build(mergedRefusals(dialect.everyRoute, dialect.withBody)), { get: build(dialect.everyRoute) });
}

/** Both sets of refusals; a status in both gets both descriptions. */
function mergedRefusals(first: Record<number, string>, second: Record<number, string>): Record<number, string> {
  const all: Record<number, string> = { ...first };
  for (const [status, description] of Object.entries(second)) all[Number(status)] = all[Number(status)] ? `${all[Number(status)]} ${description}` : description;
  return all;
}

/** One status, two answers: both descriptions, and every media type of either. */
function merged(first: ResponseDoc, second: ResponseDoc): ResponseDoc {
  return {
    ...first,
    description: `${first.description} ${second.description}`,
    content: { ...second.content, ...first.content },
  };
}
