// The refresh's rotation statement (src/db/repositories/sessions.ts with users.ts's sessionUserOf) run in a loop in
// bun:sqlite alone, for the tools that measure what the statement costs without the server around it
// (bench/tools/owner-read-loop.ts: which owner columns; bench/tools/rotation-at-scale.ts: on a million-account
// database against an empty one). The SQL is the UPDATE ... RETURNING as drizzle compiles it, the owner's columns
// and roles as one JSON array.
import { Database } from "bun:sqlite";
import { openSqlite } from "../../src/db/sqlite.ts";

const column = (name: string) => `"users"."${name}"`;
const roles = `json((SELECT json_group_array(role) FROM (SELECT "user_roles"."role" AS role FROM "user_roles" WHERE "user_roles"."user_id" = "users"."id" ORDER BY 1)))`;
const owner = (columns: readonly string[]) => `(SELECT json_array(${columns.map(column).join(", ")}, ${roles}) FROM "users" WHERE "users"."id" = "sessions"."user_id")`;
const rotation = `update "sessions" set "token_hash" = ?, "rotated_at" = ?, "expires_at" = ?, "user_agent" = ?, "ip" = ? where ("sessions"."handle" = ? and "sessions"."token_hash" = ? and "sessions"."revoked_at" is null and "sessions"."expires_at" > ?) returning "user_id", "id"`;

/** Every column of `users`, as the rotation read its owner before the narrow read. */
export const WHOLE_ROW = ["id", "email", "new_email", "username", "display_name", "avatar_url", "password_hash", "active", "email_verified", "disabled", "is_anonymous", "default_role", "tier", "referrer_id", "metadata", "created_at", "updated_at"] as const;
/** The columns a refresh reads of its owner (sessionUserOf). */
export const NARROW = ["id", "email", "display_name", "avatar_url", "active", "disabled", "is_anonymous", "default_role", "metadata", "created_at"] as const;

/** The rotation's SQL with its owner's `columns`, or without the owner (null). */
export function rotationSql(columns: readonly string[] | null): string {
  return columns === null ? rotation : `${rotation}, ${owner(columns)}`;
}

export interface LoopSessions {
  handles: string[];
  hashes: string[];
  /** Rotations made so far (each rotation's next token is derived from it). */
  rotated: number;
}

/** `file` opened as the server opens SQLite (WAL, synchronous NORMAL, the default page cache). */
export function openLoopDatabase(file: string): Database {
  const db = new Database(file, { strict: true });
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  return db;
}

/** A new database at `file` with latchkey's migrations, opened for the loop. */
export async function migratedLoopDatabase(file: string): Promise<Database> {
  const migrated = openSqlite(file);
  await migrated.migrate();
  await migrated.close();
  return openLoopDatabase(file);
}

const sha256 = (text: string): string => Bun.SHA256.hash(text, "hex");

/** `count` accounts (two roles, an argon2id hash's length of password) with one live session each, in `db`. */
export function addLoopSessions(db: Database, count: number, now: number): LoopSessions {
  const sessions: LoopSessions = { handles: [], hashes: [], rotated: 0 };
  db.run("BEGIN");
  for (let index = 0; index < count; index++) {
    const userId = crypto.randomUUID();
    db.prepare("INSERT INTO users (id, email, active, default_role, created_at, updated_at, password_hash, metadata) VALUES (?, ?, 1, 'user', ?, ?, ?, '{}')").run(
      userId,
      `loop-${userId}@example.com`,
      now,
      now,
      `$argon2id$v=19$m=19456,t=2,p=1$${"s".repeat(22)}$${"h".repeat(43)}`,
    );
    for (const role of ["user", "me"]) db.prepare("INSERT INTO user_roles (user_id, role) VALUES (?, ?)").run(userId, role);
    const token = crypto.randomUUID();
    sessions.handles.push(token.slice(0, 18));
    sessions.hashes.push(sha256(token));
    db.prepare("INSERT INTO sessions (id, user_id, handle, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
      crypto.randomUUID(),
      userId,
      sessions.handles[index]!,
      sessions.hashes[index]!,
      now + 1e9,
      now,
    );
  }
  db.run("COMMIT");
  return sessions;
}

/**
 * CPU microseconds a rotation (its owner's JSON parsed) over `rotations` rotations of `sessions` in turn, `group`
 * to a transaction, as the server's group commit makes them.
 */
export function rotationRound(db: Database, sql: string, sessions: LoopSessions, options: { rotations: number; group: number; now: number }): number {
  const statement = db.prepare(sql);
  const { rotations, group, now } = options;
  const before = process.cpuUsage();
  for (let done = 0; done < rotations; done += group) {
    db.run("BEGIN IMMEDIATE");
    for (let member = 0; member < group; member++) {
      const index = (done + member) % sessions.handles.length;
      const next = sha256(`next-${sessions.rotated++}-${now}`);
      const rows = statement.values(next, now, now + 1e9, "wrk", "127.0.0.1", sessions.handles[index]!, sessions.hashes[index]!, now) as unknown[][];
      if (rows.length !== 1) throw new Error("a rotation was lost");
      if (typeof rows[0]![2] === "string") JSON.parse(rows[0]![2]);
      sessions.hashes[index] = next;
    }
    db.run("COMMIT");
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / rotations;
}
