// The one reader of request bodies for every dialect (HBP auth, storage's JSON route, Faroe, lncrawl, WolfPal): no
// body reaches a schema or a handler without passing here (edge-input.ts mounts it as each dialect's parse hook).
// It refuses, with a BadInputError: a body past the policy's size (counted as it arrives, so neither a missing nor a
// false Content-Length is a way around it; the first problem in the bytes wins, so `[[[[...` of any size is "too
// deep"), JSON nested too deep (measured before JSON.parse), a media type the API does not read, a body that is not
// what its type says, and any string or key with NUL or a lone surrogate (storable-text.ts).
import { BadInputError } from "./bad-input.ts";
import { JsonDepthGauge, MAX_JSON_DEPTH } from "./json-depth.ts";
import { unstorableTextIn } from "./storable-text.ts";
import { bodyChunks } from "./unread-body.ts";

export type BodyMediaType = "json" | "urlencoded" | "multipart";

export interface BodyPolicy {
  /** The largest body read, in bytes; anything larger is refused. */
  maxBytes: number;
  /** The media types this API reads; a non-empty body of any other type is refused. */
  mediaTypes: readonly BodyMediaType[];
}

/** Each media type the reader knows, as a Content-Type names it. */
export const CONTENT_TYPES: Readonly<Record<BodyMediaType, string>> = {
  json: "application/json",
  urlencoded: "application/x-www-form-urlencoded",
  multipart: "multipart/form-data",
};

const MEDIA_TYPES = new Map<string, BodyMediaType>(Object.entries(CONTENT_TYPES).map(([type, name]) => [name, type as BodyMediaType]));

/**
 * The parsed body: a JSON value, or the fields of a form (a string per field, an array for a repeated one, a File for
 * a file part). undefined when there is no body, or an empty one that is not a form (Elysia then treats it as absent).
 */
export async function readRequestBody(request: Request, policy: BodyPolicy): Promise<unknown> {
  if (request.body === null) return undefined;
  const contentType = request.headers.get("content-type") ?? "";
  const type = MEDIA_TYPES.get(contentType.split(";")[0]!.trim().toLowerCase());
  const readsJson = type === "json" && policy.mediaTypes.includes("json");
  // JSON's depth is measured as it arrives: `[[[[...` is refused at its 33rd byte, whatever its size.
  const bytes = await readAtMost(request, policy.maxBytes, readsJson ? refuseDeepJson() : undefined);
  if (bytes.byteLength === 0 && type !== "urlencoded" && type !== "multipart") return undefined;
  if (type === undefined || !policy.mediaTypes.includes(type)) {
    throw new BadInputError("unsupported_type", `This API reads ${policy.mediaTypes.map(describe).join(" or ")} request bodies.`);
  }
  const body = type === "json" ? parseJson(bytes) : type === "urlencoded" ? parseUrlencoded(bytes) : await parseMultipart(bytes, contentType);
  const where = unstorableTextIn(body);
  if (where !== null) throw new BadInputError("bad_text", `The request body has a NUL character or an unpaired surrogate in ${where}.`);
  return body;
}

/** The whole body, refused once it passes maxBytes; `inspect` sees each piece as it arrives and may refuse it. */
async function readAtMost(request: Request, maxBytes: number, inspect?: (piece: Uint8Array) => void): Promise<Uint8Array> {
  // A body whose Content-Length is within the bound cannot pass it (Bun reads no more than that), so it is read whole
  // by Bun's own reader: the stream below costs several times more event-loop work a request (bench/README.md, "Fair
  // under a flood"). `inspect` then sees it as one piece: the same verdict, since nothing can follow.
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d{1,9}$/.test(declared) && Number(declared) <= maxBytes) {
    const whole = new Uint8Array(await request.arrayBuffer());
    inspect?.(whole);
    return whole;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of bodyChunks(request)) {
    inspect?.(chunk);
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function refuseDeepJson(): (piece: Uint8Array) => void {
  const gauge = new JsonDepthGauge(MAX_JSON_DEPTH);
  return (piece) => {
    if (gauge.exceededBy(piece)) {
      throw new BadInputError("too_deep", `The request body nests arrays or objects more than ${MAX_JSON_DEPTH} levels deep.`);
    }
  };
}

function parseJson(bytes: Uint8Array): unknown {
  // Invalid UTF-8 decodes to U+FFFD, so only a \u escape can put a NUL or a lone surrogate in the result.
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.parse(text);
  } catch {
    throw new BadInputError("malformed", "The request body is not valid JSON.");
  }
}

/** Fields with no prototype: a field named __proto__ is just a field. */
function fieldsOf(entries: Iterable<[string, string | File]>): Record<string, unknown> {
  const fields: Record<string, unknown> = Object.create(null);
  for (const [name, value] of entries) {
    const seen = fields[name];
    fields[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return fields;
}

function parseUrlencoded(bytes: Uint8Array): Record<string, unknown> {
  return fieldsOf(new URLSearchParams(new TextDecoder().decode(bytes)));
}

async function parseMultipart(bytes: Uint8Array, contentType: string): Promise<Record<string, unknown>> {
  try {
    const form = await new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": contentType } }).formData();
    return fieldsOf(form.entries() as Iterable<[string, string | File]>);
  } catch {
    throw new BadInputError("malformed", "The request body is not valid multipart/form-data.");
  }
}

function tooLarge(maxBytes: number): BadInputError {
  return new BadInputError("too_large", `The request body is larger than ${maxBytes >= 1024 * 1024 ? `${maxBytes / 1024 / 1024} MiB` : `${maxBytes / 1024} KiB`}.`);
}

function describe(type: BodyMediaType): string {
  return type === "json" ? "JSON (application/json)" : type === "urlencoded" ? "form (application/x-www-form-urlencoded)" : "multipart/form-data";
}
