// Image transform parameters of GET /storage/o/<key> (seed 000): w, h, q, f, r, b. Messages follow Joi's wording,
// as HBP answers them: `"w" must be less than or equal to 8192`.
import { boundedMemo } from "../../lib/bounded-memo.ts";
import { StorageError } from "../errors.ts";
import type { ImageFormat } from "./probe.ts";

export const MAX_DIMENSION = 8192;
export const DEFAULT_QUALITY = 80;
const FORMATS = ["webp", "png", "jpeg", "auto"] as const;
export type RequestedFormat = (typeof FORMATS)[number];

export interface TransformRequest {
  /** 0 or absent: follow the other dimension (or keep the source size). */
  width: number;
  height: number;
  quality: number;
  format: RequestedFormat | null;
  /** Corner radius in pixels, or "full" for a circle (a pill when not square). */
  radius: number | "full" | null;
  /** Gaussian blur sigma. */
  blur: number | null;
}

/** The parameters one cached variant is made from: the request with `auto` resolved. */
export interface TransformSpec {
  width: number;
  height: number;
  quality: number;
  format: ImageFormat;
  radius: number | "full" | null;
  blur: number | null;
}

const TRANSFORM_KEYS = new Set(["w", "h", "q", "f", "r", "b"]);
/** Also allowed beside a transform: the per-file token. */
const OTHER_KEYS = new Set(["token"]);

function invalid(message: string): StorageError {
  return new StorageError("invalid_transform", message);
}

function number(name: string, raw: string, bounds: { min: number; max: number; integer: boolean }): number {
  if (!/^-?(\d+\.?\d*|\.\d+)$/.test(raw.trim())) throw invalid(`"${name}" must be a number`);
  const value = Number(raw);
  if (bounds.integer && !Number.isInteger(value)) throw invalid(`"${name}" must be an integer`);
  if (value < bounds.min) throw invalid(`"${name}" must be greater than or equal to ${bounds.min}`);
  if (value > bounds.max) throw invalid(`"${name}" must be less than or equal to ${bounds.max}`);
  return value;
}

/**
 * The transform a query asks for, or null when it has none of w, h, q, f, r, b (then other parameters, such as a
 * cache-busting `?v=3`, are ignored as HBP does). With a transform, any unknown parameter is refused.
 */
export function parseTransformQuery(query: URLSearchParams): TransformRequest | null {
  if (query.size === 0) return null; // most downloads: nothing to look at
  const keys = [...new Set(query.keys())];
  if (!keys.some((key) => TRANSFORM_KEYS.has(key))) return null;
  for (const key of keys) {
    if (!TRANSFORM_KEYS.has(key) && !OTHER_KEYS.has(key)) throw invalid(`"${key}" is not allowed`);
    if (query.getAll(key).length > 1) throw invalid(`"${key}" must be given once`);
  }
  const get = (key: string): string | null => query.get(key);
  const dimension = (key: string) => {
    const raw = get(key);
    return raw === null ? 0 : number(key, raw, { min: 0, max: MAX_DIMENSION, integer: true });
  };
  const format = get("f");
  if (format !== null && !(FORMATS as readonly string[]).includes(format)) {
    throw invalid(`"f" must be one of [${FORMATS.join(", ")}]`);
  }
  const radiusRaw = get("r");
  let radius: number | "full" | null = null;
  if (radiusRaw === "full") radius = "full";
  else if (radiusRaw !== null) {
    if (!/^-?(\d+\.?\d*|\.\d+)$/.test(radiusRaw.trim())) throw invalid(`"r" must be a number or "full"`);
    radius = number("r", radiusRaw, { min: 0, max: MAX_DIMENSION, integer: false });
  }
  const blurRaw = get("b");
  const qualityRaw = get("q");
  return {
    width: dimension("w"),
    height: dimension("h"),
    quality: qualityRaw === null ? DEFAULT_QUALITY : number("q", qualityRaw, { min: 1, max: 100, integer: true }),
    format: format as RequestedFormat | null,
    radius,
    blur: blurRaw === null ? null : number("b", blurRaw, { min: 0.3, max: 1000, integer: false }),
  };
}

const transformsBySearch = boundedMemo<Readonly<TransformRequest> | null>({ size: 1000, maxKeyLength: 512 });

function parseFrozen(search: string): Readonly<TransformRequest> | null {
  const request = parseTransformQuery(new URLSearchParams(search));
  return request && Object.freeze(request);
}

/**
 * parseTransformQuery of a raw query (the URL's part after `?`, still percent-encoded), remembered by that text: a
 * repeat transform asks the same few queries again and again, and parsing one was a twelfth of a cached variant's
 * answer (bench/README.md, "Bytes paths"). A query that is refused is parsed (and refused) anew each time.
 */
export function transformOfSearch(search: string): Readonly<TransformRequest> | null {
  return transformsBySearch(search, parseFrozen);
}

/** `auto` (and no f) resolve against the source format and the client's Accept header. */
export function resolveSpec(request: TransformRequest, source: ImageFormat, accept: string | null): TransformSpec {
  let format: ImageFormat = source;
  if (request.format === "auto") {
    if (/(^|,)\s*image\/webp\s*(;(?!\s*q=0(\.0*)?\s*(,|$))|,|$)/i.test(accept ?? "")) format = "webp";
  } else if (request.format !== null) {
    format = request.format;
  }
  return {
    width: request.width,
    height: request.height,
    quality: request.quality,
    format,
    radius: request.radius === 0 ? null : request.radius,
    blur: request.blur,
  };
}

/** A stable text of a spec: the cache key of its variant. */
export function specKey(spec: TransformSpec): string {
  return `w${spec.width}-h${spec.height}-q${spec.quality}-f${spec.format}-r${spec.radius ?? ""}-b${spec.blur ?? ""}`;
}
