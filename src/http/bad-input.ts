// Input refused at the edge, before any handler, schema or database sees it: one error for every dialect, with no
// HTTP status in it. Each dialect's error mapper (apis/<dialect>/errors.ts) gives it that dialect's shape.
//
// `message` is about the client's own input and safe to send back; it never repeats the offending text.

export type BadInputReason =
  /** The body is larger than the route takes (declared or counted as it arrived). */
  | "too_large"
  /** JSON nested deeper than MAX_JSON_DEPTH: refused before anything recurses through it. */
  | "too_deep"
  /** The body is not what its Content-Type says (invalid JSON, a broken multipart body). */
  | "malformed"
  /** A string (value or key) with NUL or an unpaired surrogate, in the body, the query or the path. */
  | "bad_text"
  /** A body of a media type this API does not read. */
  | "unsupported_type";

export class BadInputError extends Error {
  constructor(
    readonly reason: BadInputReason,
    message: string,
  ) {
    super(message);
    this.name = "BadInputError";
  }
}

/** The BadInputError behind `error`: itself, or the cause of the ParseError Elysia wraps a parse hook's error in. */
export function badInputOf(error: unknown): BadInputError | null {
  if (error instanceof BadInputError) return error;
  if (error instanceof Error && error.cause instanceof BadInputError) return error.cause;
  return null;
}
