// Text that every backend stores as it came. Threat: a NUL or an unpaired surrogate in any field. PostgreSQL refuses
// both in text columns (an error, so a 500 on every route that writes or even looks up the field); SQLite stores
// them, and C code below us (paths, mail headers) cuts a string at a NUL. Refused at the edge, for every dialect.

/** No NUL, and valid UTF-16 (every surrogate paired), so it has a UTF-8 encoding. */
export function isStorableText(value: string): boolean {
  return value.isWellFormed() && !value.includes("\u0000");
}

/**
 * Where the first string or key that is not storable text sits in a parsed body (JSON, form fields): a quoted dotted
 * path such as `"user_data.name"`, "a field name" for a bad key, "the body" for a bare string; null when all are fine.
 * Recursive: only for values whose depth is already bounded (request-body.ts measures JSON's before parsing it).
 */
export function unstorableTextIn(value: unknown): string | null {
  const found = findUnstorable(value, "");
  if (found === null) return null;
  if (found === BAD_KEY) return "a field name";
  return found === "" ? "the body" : `"${found}"`;
}

const BAD_KEY = Symbol("a key that is not storable text");

function findUnstorable(value: unknown, path: string): string | typeof BAD_KEY | null {
  if (typeof value === "string") return isStorableText(value) ? null : path;
  if (value instanceof File) return isStorableText(value.name) ? null : path;
  if (typeof value !== "object" || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    if (!isStorableText(key)) return BAD_KEY;
    const found = findUnstorable(item, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
    if (found !== null) return found;
  }
  return null;
}
