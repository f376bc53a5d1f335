// Rows of older export formats (export-format.ts), as this latchkey's schema holds them, so `latchkey import` still
// reads a file an older latchkey wrote.

/** Reads one older file's rows in order: it remembers what it has seen (the sessions of format 1). */
export type RowUpgrader = (table: string, row: Record<string, unknown>) => Record<string, unknown> | null;

export function rowUpgrader(format: number): RowUpgrader {
  if (format >= 2) return (_table, row) => row;
  const sessionsSeen = new Set<unknown>();
  return (table, row) => {
    if (table !== "sessions") return row;
    // Format 1 had a row per refresh token. The session keeps its live token, under the session's id, as migration
    // session_per_row does to a database (but with the live token's time, not the sign-in's); rotated and revoked
    // tokens are left out (null: the line is read but not loaded).
    const { family_id: familyId, id: _tokenRowId, ...rest } = row;
    if (rest.rotated_at !== null || rest.revoked_at !== null || sessionsSeen.has(familyId)) return null;
    sessionsSeen.add(familyId);
    // No handle: a carried-over session is found by carried_token_hash until its first rotation.
    return { ...rest, id: familyId, handle: null, carried_token_hash: rest.token_hash };
  };
}
