// Generated, malformed and boundary inputs for the fuzz test (test/fuzz.test.ts), with fast-check: for one operation of
// the OpenAPI document, a request with generated path parameters, query, body (of every kind latchkey reads, and some
// it does not) and credentials.
import fc from "fast-check";

export interface Operation {
  method: string;
  /** As the document writes it: `/faroe/users/{user_id}`, `/storage/o/*`. */
  path: string;
  queryNames: string[];
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

/**
 * Field names latchkey's APIs read, so generated bodies reach the handlers. (The OpenAPI document has no body schemas
 * to take them from: @elysiajs/openapi leaves `requestBody.content` empty for routes with a parse hook.)
 */
const FIELDS = [
  "email", "password", "cookie", "user_data", "register_options", "allowed_roles", "default_role", "all", "ticket",
  "code", "new_password", "old_password", "new_email", "refresh_token", "token", "otp", "name", "referrer", "username",
  "action", "totp_key", "key", "anonymous", "display_name", "locale", "login", "backup_code", "recovery_code",
];

const BOUNDARY_STRINGS = [
  "", " ", "\u0000", "a\u0000b@example.com", "\ud800", "x\udfffy", "💥", "%00", "%ED%A0%80", "null", "-1", "1e309", "NaN",
  "__proto__", "constructor", "../../etc/passwd", "..", "<script>alert(1)</script>", "' OR 1=1 --", "\\", "a@b", "a@b.c",
  "x".repeat(300), "x".repeat(70_000), "😀".repeat(2_000), "\r\n\r\nX-Injected: 1",
];

const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 3 });

export function arbitraries(known: Known) {
  const text = fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 2, arbitrary: fc.constantFrom(...BOUNDARY_STRINGS, known.email, known.password, known.userId) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 5 }), loneSurrogates).map(([a, b]) => a + b) },
  );
  const fieldName = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...FIELDS) },
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
      arbitrary: fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom(70_000, 1_100_000)).map(([name, size]) => ({ headers: json, body: JSON.stringify({ [name]: "x".repeat(size) }), kind: `huge ${size}` })),
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

  const oddQuery = fc.constantFrom("", "?", "?&&", "?=", "?a", "?%", "?a=%zz", "?a[]=1&a[]=2", "?__proto__=1", "?a=%00", `?a=${"x".repeat(5_000)}`);
  const query = (names: string[]) =>
    fc.tuple(fc.subarray(names), fc.array(text, { minLength: names.length, maxLength: names.length }), oddQuery, fc.boolean(), fc.array(fc.tuple(fc.constantFrom("w", "h", "q", "f", "b", "r", "token", "download"), fc.oneof(text, fc.integer({ min: -10, max: 100_000 }).map(String))), { maxLength: 3 })).map(
      ([chosen, values, odd, withOdd, extra]) => {
        const params = new URLSearchParams();
        chosen.forEach((name, index) => params.append(name, values[index] ?? ""));
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
      return fc.tuple(pathParams, storageKey, query(operation.queryNames), body, fc.constantFrom(...credentials), fc.option(cookie, { freq: 4 })).map(([segments, key, search, payload, auth, cookies]) => {
        let index = 0;
        const path = operation.path.replace(/\{[^}]+\}/g, () => segments[index++]!).replace(/\*$/, key);
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
