// Generated, malformed and boundary inputs for the fuzz test (test/fuzz.test.ts), with fast-check: for one operation of
// the OpenAPI document, a request with generated path parameters, query, body (of every kind latchkey reads, and some
// it does not) and credentials. Bodies and queries are also made from the operation's documented schemas: values of
// the right types and shapes (so requests get past validation into the handlers), and such values with one field wrong.
import fc from "fast-check";
import type { JsonSchema } from "./json-schema.ts";

export interface Operation {
  method: string;
  /** As the document writes it: `/faroe/users/{user_id}`, `/storage/o/{key}` (storage's key, slashes included). */
  path: string;
  query: { name: string; schema: JsonSchema }[];
  /** The documented request body: its schema, and the media types it may come as. */
  body: { schema: JsonSchema; mediaTypes: string[] } | null;
}

export interface FuzzRequest {
  method: string;
  /** Path and query, to append to the server's URL. */
  target: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | FormData;
  /** What the body is, for the failure report. */
  kind: string;
}

/** What the generated inputs may name besides random values (a real user, address, password and files), to get past the first checks. */
export interface Known {
  userId: string;
  email: string;
  password: string;
  /** Storage keys that exist. */
  fileKeys: string[];
}

/** Every property name of the documented request bodies, so that random bodies also use the names the APIs read. */
export function documentedFields(operations: Operation[]): string[] {
  const names = new Set<string>();
  const walk = (schema: unknown): void => {
    if (typeof schema !== "object" || schema === null) return;
    const { properties, anyOf, items } = schema as JsonSchema;
    for (const [name, child] of Object.entries((properties ?? {}) as Record<string, unknown>)) {
      names.add(name);
      walk(child);
    }
    for (const option of (anyOf as unknown[] | undefined) ?? []) walk(option);
    walk(items);
  };
  for (const operation of operations) walk(operation.body?.schema);
  return [...names].sort();
}

const BOUNDARY_STRINGS = [
  "", " ", "\u0000", "a\u0000b@example.com", "\ud800", "x\udfffy", "💥", "%00", "%ED%A0%80", "null", "-1", "1e309", "NaN",
  "__proto__", "constructor", "../../etc/passwd", "..", "<script>alert(1)</script>", "' OR 1=1 --", "\\", "a@b", "a@b.c",
  "x".repeat(300), "x".repeat(70_000), "😀".repeat(2_000), "\r\n\r\nX-Injected: 1",
];

const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 3 });

export function arbitraries(known: Known, fieldNames: string[]) {
  const text = fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.constantFrom(...BOUNDARY_STRINGS, known.email, known.password, known.userId) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 5 }), loneSurrogates).map(([a, b]) => a + b) },
  );
  const fieldName = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...fieldNames) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "", "a\u0000", "\ud800") },
  );
  const value: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 4, arbitrary: text },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.array(text, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
  const fields = fc.dictionary(fieldName, value, { maxKeys: 6 });
  const textFields = fc.dictionary(fieldName, text, { maxKeys: 6 });

  const segment = fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: fc.constantFrom(known.userId, "%00", "%ED%A0%80", "%", "%zz", "..", "%2e%2e", "a%2Fb", "x".repeat(2_000), "%F0%9F%92%A5") },
  );
  const storageKey = fc.oneof(
    fc.constantFrom(...known.fileKeys, `user/${known.userId}/`, "public/", "", `user/${known.userId}/new.bin`),
    fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("/")),
    fc.tuple(fc.constantFrom("public", "user", `user/${known.userId}`), segment).map(([folder, name]) => `${folder}/${name}`),
  );

  const deep = fc.tuple(fc.constantFrom(20, 33, 40, 1_000, 100_000), fc.boolean()).map(([depth, objects]) =>
    objects ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}${"]".repeat(depth)}`,
  );
  const contentTypes = fc.constantFrom(
    "text/plain", "application/xml", "multipart/form-data", "multipart/form-data; boundary=", "application/json; charset=utf-16",
    "application/x-www-form-urlencoded; charset=latin1", "application/octet-stream", "image/png", ";;;", "application/json ; x=\"",
  );
  const json = { "content-type": "application/json" };
  const body: fc.Arbitrary<Pick<FuzzRequest, "headers" | "body" | "kind">> = fc.oneof(
    { weight: 5, arbitrary: fields.map((object) => ({ headers: json, body: JSON.stringify(object), kind: "json fields" })) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((any) => ({ headers: json, body: JSON.stringify(any), kind: "json value" })) },
    { weight: 1, arbitrary: deep.map((text) => ({ headers: json, body: text, kind: "deep json" })) },
    {
      weight: 1,
      arbitrary: fc.oneof(fc.string({ maxLength: 40 }), fields.map((object) => JSON.stringify(object).slice(0, -1))).map((text) => ({ headers: json, body: text, kind: "invalid json" })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...fieldNames), fc.constantFrom(70_000, 1_100_000)).map(([name, size]) => ({ headers: json, body: JSON.stringify({ [name]: "x".repeat(size) }), kind: `huge ${size}` })),
    },
    {
      weight: 2,
      arbitrary: textFields.map((object) => ({
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(Object.entries(object)).toString(),
        kind: "urlencoded",
      })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(textFields, fc.option(fc.uint8Array({ maxLength: 2_048 }))).map(([object, file]) => {
        const form = new FormData();
        for (const [name, entry] of Object.entries(object)) form.append(name, entry);
        if (file) form.append("file", new Blob([file as Uint8Array<ArrayBuffer>]), "fuzz.bin");
        return { headers: {}, body: form, kind: "multipart" };
      }),
    },
    { weight: 1, arbitrary: fc.tuple(contentTypes, fc.string({ maxLength: 60 })).map(([type, text]) => ({ headers: { "content-type": type }, body: text, kind: `type ${type}` })) },
    { weight: 1, arbitrary: fc.constantFrom({ headers: {}, body: undefined, kind: "no body" }, { headers: json, body: "", kind: "empty json" }) },
  );

  /** A value that matches `schema`, often one the server knows (the known user's address, password, id, files). */
  const fromSchema = (schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> => {
    if ("const" in schema) return fc.constant(schema.const);
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
    const options = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
    if (options) return fc.oneof(...options.map((option) => fromSchema(option, depth)));
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : schema.type === undefined ? [] : [schema.type as string];
    if (types.length > 1) return fc.oneof(...types.map((type) => fromSchema({ ...schema, type }, depth)));
    const minimum = typeof schema.minimum === "number" ? schema.minimum : -10;
    const maximum = typeof schema.maximum === "number" ? schema.maximum : 100_000;
    switch (types[0]) {
      case "string":
        return stringFrom(schema);
      case "integer":
        return fc.integer({ min: Math.ceil(minimum), max: Math.floor(maximum) });
      case "number":
        return fc.double({ min: minimum, max: maximum, noNaN: true });
      case "boolean":
        return fc.boolean();
      case "null":
        return fc.constant(null);
      case "array":
        return depth > 3 ? fc.constant([]) : fc.array(fromSchema((schema.items ?? {}) as JsonSchema, depth + 1), { maxLength: 3 });
      case "object":
        return depth > 3 ? fc.constant({}) : objectFrom(schema, depth);
    }
    return fc.jsonValue({ maxDepth: 2 });
  };
  const stringFrom = (schema: JsonSchema): fc.Arbitrary<unknown> => {
    if (schema.format === "binary") return fc.uint8Array({ maxLength: 2_048 });
    if (schema.format === "email") return fc.oneof(fc.constant(known.email), fc.emailAddress());
    const maxLength = Math.min(typeof schema.maxLength === "number" ? schema.maxLength : 40, 40);
    const minLength = Math.min(typeof schema.minLength === "number" ? schema.minLength : 0, maxLength);
    return fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(known.email, known.password, known.userId, ...known.fileKeys) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 2, arbitrary: fc.string({ minLength, maxLength }) },
    );
  };
  const objectFrom = (schema: JsonSchema, depth: number): fc.Arbitrary<Record<string, unknown>> => {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const patterned = Object.values((schema.patternProperties ?? {}) as Record<string, JsonSchema>)[0];
    const named = fc.record(Object.fromEntries(Object.entries(properties).map(([name, child]) => [name, fromSchema(child, depth + 1)])), {
      requiredKeys: ((schema.required as string[] | undefined) ?? []).filter((name) => name in properties),
    });
    if (!patterned) return named;
    return fc.tuple(named, fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fromSchema(patterned, depth + 1), { maxKeys: 3 })).map(([named, more]) => ({ ...more, ...named }));
  };

  /** A documented body, as one of its media types: as documented, or with one field wrong or missing. */
  const documentedBody = (documented: NonNullable<Operation["body"]>): fc.Arbitrary<Pick<FuzzRequest, "headers" | "body" | "kind">> => {
    const valid = fromSchema(documented.schema);
    const spoilt = fc.tuple(valid, fieldName, value, fc.boolean()).map(([body, name, wrong, drop]) => {
      if (typeof body !== "object" || body === null || Array.isArray(body)) return wrong;
      const names = Object.keys(body);
      const chosen = names.length > 0 && drop ? names[0]! : name;
      const { [chosen]: _removed, ...rest } = body as Record<string, unknown>;
      return drop ? rest : { ...rest, [chosen]: wrong };
    });
    return fc
      .tuple(fc.oneof({ weight: 3, arbitrary: valid.map((body) => [body, "documented"] as const) }, { weight: 2, arbitrary: spoilt.map((body) => [body, "documented, spoilt"] as const) }), fc.constantFrom(...documented.mediaTypes))
      .map(([[payload, kind], mediaType]) => ({ ...encoded(payload, mediaType), kind: `${kind} ${mediaType}` }));
  };

  const oddQuery = fc.constantFrom("", "?", "?&&", "?=", "?a", "?%", "?a=%zz", "?a[]=1&a[]=2", "?__proto__=1", "?a=%00", `?a=${"x".repeat(5_000)}`);
  /** Each documented parameter: absent, a value from its schema, or any text. */
  const queryValues = (documented: Operation["query"]) =>
    fc.tuple(
      ...documented.map((parameter) =>
        fc.option(fc.oneof({ weight: 2, arbitrary: fromSchema(parameter.schema).map(String) }, { weight: 1, arbitrary: text }), { freq: 3 }),
      ),
    );
  const query = (documented: Operation["query"]) =>
    fc.tuple(queryValues(documented), oddQuery, fc.boolean(), fc.array(fc.tuple(fc.constantFrom("w", "h", "q", "f", "b", "r", "token", "download"), fc.oneof(text, fc.integer({ min: -10, max: 100_000 }).map(String))), { maxLength: 3 })).map(
      ([values, odd, withOdd, extra]) => {
        const params = new URLSearchParams();
        documented.forEach((parameter, index) => {
          const chosen = values[index];
          if (chosen !== null && chosen !== undefined) params.append(parameter.name, chosen);
        });
        for (const [name, entry] of extra) params.append(name, entry);
        const encoded = params.toString();
        if (withOdd) return odd === "" ? (encoded ? `?${encoded}` : "") : `${odd}${encoded ? `&${encoded}` : ""}`;
        return encoded ? `?${encoded}` : "";
      },
    );

  // Cookies that HBP reads (the refresh token, its signed permission variables), with generated values, some still
  // percent-encoded in odd ways (%00) for the cookie parser to decode.
  const cookie = fc.array(
    fc.tuple(fc.constantFrom("refresh_token", "permission_variables", "other"), fc.oneof(text.map((value) => encodeURIComponent(value.toWellFormed())), fc.constantFrom("%00", "s%3A%00.x", "%ED%A0%80", "s:abc.def", "%"))),
    { minLength: 1, maxLength: 2 },
  ).map((pairs) => pairs.map(([name, entry]) => `${name}=${entry}`).join("; "));

  return {
    /** A request for `operation`, with one of `credentials` (header sets: valid ones, forged ones, none). */
    request(operation: Operation, credentials: Record<string, string>[]): fc.Arbitrary<FuzzRequest> {
      const pathParams = fc.array(segment, { minLength: 8, maxLength: 8 });
      const payloads = operation.body ? fc.oneof({ weight: 2, arbitrary: body }, { weight: 1, arbitrary: documentedBody(operation.body) }) : body;
      return fc.tuple(pathParams, storageKey, query(operation.query), payloads, fc.constantFrom(...credentials), fc.option(cookie, { freq: 4 })).map(([segments, key, search, payload, auth, cookies]) => {
        let index = 0;
        // Storage's `{key}` takes a key, slashes and all; any other parameter one segment.
        const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === "key" && operation.path.startsWith("/storage/") ? key : segments[index++]!));
        const withBody = operation.method !== "GET" && operation.method !== "HEAD";
        return {
          method: operation.method,
          target: `${path}${search}`,
          headers: { ...auth, ...(cookies === null ? {} : { cookie: cookies }), ...(withBody ? payload.headers : {}) },
          body: withBody ? payload.body : undefined,
          kind: withBody ? payload.kind : "no body",
        };
      });
    },
  };
}

/** A generated body as `mediaType` sends it: forms take each top-level field as text, a byte array as a file. */
function encoded(payload: unknown, mediaType: string): Pick<FuzzRequest, "headers" | "body"> {
  const fields = typeof payload === "object" && payload !== null && !Array.isArray(payload) ? Object.entries(payload) : [["value", payload] as const];
  const asText = (entry: unknown) => (typeof entry === "string" ? entry : JSON.stringify(entry) ?? "");
  if (mediaType === "multipart/form-data") {
    const form = new FormData();
    for (const [name, entry] of fields) {
      if (entry instanceof Uint8Array) form.append(name, new Blob([entry as Uint8Array<ArrayBuffer>]), "fuzz.bin");
      else form.append(name, asText(entry));
    }
    return { headers: {}, body: form };
  }
  if (mediaType === "application/x-www-form-urlencoded") {
    return { headers: { "content-type": mediaType }, body: new URLSearchParams(fields.map(([name, entry]): [string, string] => [name, asText(entry)])).toString() };
  }
  return { headers: { "content-type": mediaType }, body: JSON.stringify(payload) };
}
