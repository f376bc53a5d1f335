// Paging cursors as the console's lists hand them out: where the last page ended, as opaque base64url text. A cursor
// grants nothing (it names a row the administrator has seen), so it is not signed; one that does not decode to the
// shape its list expects is `invalid_cursor`, never a query with whatever was sent.
import { CoreError } from "../errors.ts";

export function encodeCursor(position: object): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

/** The cursor's position if `valid` accepts it; `invalid_cursor` otherwise. */
export function decodeCursor<T>(cursor: string, valid: (value: Record<string, unknown>) => value is Record<string, unknown> & T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new CoreError("invalid_cursor");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || !valid(value as Record<string, unknown>)) {
    throw new CoreError("invalid_cursor");
  }
  return value as T;
}

/** A newest-first position: a time and an id. */
export function isTimePosition(value: Record<string, unknown>): value is { at: number; id: string } {
  return Number.isSafeInteger(value.at) && typeof value.id === "string" && value.id.length <= 64 && Object.keys(value).length === 2;
}
