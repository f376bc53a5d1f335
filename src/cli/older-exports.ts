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

/** Tables of older formats whose rows now go into another table (format 4: every ticket and request in challenges). */
const FORMER_TABLES: Record<string, string> = {
  one_time_codes: "challenges",
  email_verification_requests: "challenges",
  password_reset_requests: "challenges",
};

/** Whether an older file's table is one this latchkey reads (its rows go into another table now). */
export function isFormerTable(format: number, table: string): boolean {
  return format < 4 && table in FORMER_TABLES;
}

/** The tables an older file's rows go into, in the file's order, each once. */
export function currentTables(format: number, tables: string[]): string[] {
  return [...new Set(tables.map((table) => (isFormerTable(format, table) ? FORMER_TABLES[table]! : table)))];
}

export function rowUpgrader(format: number): RowUpgrader {
  const steps: RowUpgrader[] = [];
  if (format < 2) steps.push(sessionsOfFormat1());
  if (format < 3) steps.push(recoveryCodesOfFormat2);
  if (format < 4) steps.push(challengesOfFormat3);
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

/**
 * Up to format 3, tickets were one_time_codes rows and Faroe's requests had a table each. As migration challenges
 * does: every one a challenges row under its purpose; a verification request keeps its code as it is and its
 * address, a reset request its argon2id code (as secret_hash) and the steps it passed (in data). Expired rows come
 * along as they do in any export; housekeeping deletes them.
 */
const challengesOfFormat3: RowUpgrader = (table, row) => {
  const common = { id: row.id, user_id: row.user_id, attempts: row.attempts ?? 0, expires_at: row.expires_at, created_at: row.created_at };
  const yes = (value: unknown) => value === true || value === 1;
  switch (table) {
    case "one_time_codes":
      return { table: "challenges", row: { ...common, purpose: row.purpose, secret_hash: row.secret_hash, code: null, email: null, data: row.data ?? {} } };
    case "email_verification_requests":
      return { table: "challenges", row: { ...common, purpose: "email-verification", secret_hash: null, code: row.code, email: row.email, data: {} } };
    case "password_reset_requests": {
      const data = { emailVerified: yes(row.email_verified), twoFactorVerified: yes(row.two_factor_verified) };
      return { table: "challenges", row: { ...common, purpose: "password-reset-request", secret_hash: row.code_hash, code: null, email: null, data } };
    }
    default:
      return { table, row };
  }
};
