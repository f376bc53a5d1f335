// Rows of older export formats (export-format.ts), as this latchkey's schema holds them, so `latchkey import` still
// reads a file an older latchkey wrote. Each format's step does to a row what the migrations since did to a database.
import { sha256Hex } from "../lib/secrets.ts";

/** A row and the table it goes into. */
export interface ImportedRow {
  table: string;
  row: Record<string, unknown>;
}

/**
 * Reads one older file's rows in order: it remembers what it has seen (the sessions of format 1). Answers where a
 * row goes (another table than the file's, for rows whose concept moved), or null: the line is read but not loaded.
 */
export type RowUpgrader = (table: string, row: Record<string, unknown>) => ImportedRow | null;

export function rowUpgrader(format: number): RowUpgrader {
  const steps: RowUpgrader[] = [];
  if (format < 2) steps.push(sessionsOfFormat1());
  if (format < 3) steps.push(recoveryCodesOfFormat2);
  return (table, row) => {
    let line: ImportedRow | null = { table, row };
    for (const step of steps) if (line !== null) line = step(line.table, line.row);
    return line;
  };
}

function sessionsOfFormat1(): RowUpgrader {
  const sessionsSeen = new Set<unknown>();
  return (table, row) => {
    if (table !== "sessions") return { table, row };
    // Format 1 had a row per refresh token. The session keeps its live token, under the session's id, as migration
    // session_per_row does to a database (but with the live token's time, not the sign-in's); rotated and revoked
    // tokens are left out.
    const { family_id: familyId, id: _tokenRowId, ...rest } = row;
    if (rest.rotated_at !== null || rest.revoked_at !== null || sessionsSeen.has(familyId)) return null;
    sessionsSeen.add(familyId);
    // No handle: a carried-over session is found by carried_token_hash until its first rotation.
    return { table, row: { ...rest, id: familyId, handle: null, carried_token_hash: rest.token_hash } };
  };
}

/**
 * Up to format 2, backup codes were one_time_codes rows and recovery_codes held only recovery codes, digested
 * without the user's id. As migration recovery_codes_shared does: both kinds in recovery_codes under their purpose,
 * each digest SHA-256 of "<user id>:<code>" (the backup codes' already was), used_at gone.
 */
const recoveryCodesOfFormat2: RowUpgrader = (table, row) => {
  if (table === "one_time_codes" && row.purpose === "backup-code") {
    const data = row.data as Record<string, unknown> | null;
    return {
      table: "recovery_codes",
      row: { id: row.id, user_id: row.user_id, purpose: "backup-code", code_hash: row.secret_hash, code: data?.code ?? null, created_at: row.created_at },
    };
  }
  if (table !== "recovery_codes") return { table, row };
  const { used_at: _usedAt, code_hash: _oldDigest, ...rest } = row;
  // A code kept only as its old digest can no longer be found: the migration leaves it out too.
  if (typeof rest.code !== "string") return null;
  return { table, row: { ...rest, purpose: "recovery-code", code_hash: sha256Hex(`${String(rest.user_id)}:${rest.code}`) } };
};
