// What reading a session's owner costs the rotation's statement (src/db/repositories/sessions.ts, users.ts's
// sessionUserOf), in bun:sqlite alone: the UPDATE ... RETURNING as drizzle compiles it, with the owner's columns and
// roles as one JSON array (the columns a refresh uses, "narrow"; every column, "whole row", as before the third pass in
// bench/README.md "Refresh"), or without the owner ("none"). 64 users with two roles and 64 sessions on latchkey's
// migrations, GROUP rotations a transaction, the owner's JSON parsed; CPU time a rotation, median of ROUNDS
// alternating rounds of ROTATIONS. `bun bench/tools/owner-read-loop.ts` (ROTATIONS=40000, GROUP=20, ROUNDS=8).
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqlite } from "../../src/db/sqlite.ts";
import { median } from "../lib/report.ts";

const ROTATIONS = Number(process.env.ROTATIONS ?? 40_000);
const GROUP = Number(process.env.GROUP ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const SESSIONS = 64;

const folder = mkdtempSync(join(tmpdir(), "latchkey-owner-read-"));
const file = join(folder, "latchkey.db");
const migrated = openSqlite(file);
await migrated.migrate();
await migrated.close();
const db = new Database(file, { strict: true });
db.run("PRAGMA journal_mode = WAL");
db.run("PRAGMA synchronous = NORMAL");

const sha256 = (text: string): string => Bun.SHA256.hash(text, "hex");
const now = Date.now();
const handles: string[] = [];
const hashes: string[] = [];
for (let index = 0; index < SESSIONS; index++) {
  const userId = crypto.randomUUID();
  db.prepare("INSERT INTO users (id, email, active, default_role, created_at, updated_at, password_hash, metadata) VALUES (?, ?, 1, 'user', ?, ?, ?, '{}')").run(
    userId,
    `user-${index}@example.com`,
    now,
    now,
    // An argon2id hash's length, as a password account's row holds one.
    `$argon2id$v=19$m=19456,t=2,p=1$${"s".repeat(22)}$${"h".repeat(43)}`,
  );
  for (const role of ["user", "me"]) db.prepare("INSERT INTO user_roles (user_id, role) VALUES (?, ?)").run(userId, role);
  const token = crypto.randomUUID();
  handles.push(token.slice(0, 18));
  hashes.push(sha256(token));
  db.prepare("INSERT INTO sessions (id, user_id, handle, token_hash, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
    crypto.randomUUID(),
    userId,
    handles[index]!,
    hashes[index]!,
    now + 1e9,
    now,
  );
}

const column = (name: string) => `"users"."${name}"`;
const roles = `json((SELECT json_group_array(role) FROM (SELECT "user_roles"."role" AS role FROM "user_roles" WHERE "user_roles"."user_id" = "users"."id" ORDER BY 1)))`;
const owner = (columns: string[]) => `(SELECT json_array(${columns.map(column).join(", ")}, ${roles}) FROM "users" WHERE "users"."id" = "sessions"."user_id")`;
const rotation = `update "sessions" set "token_hash" = ?, "rotated_at" = ?, "expires_at" = ?, "user_agent" = ?, "ip" = ? where ("sessions"."handle" = ? and "sessions"."token_hash" = ? and "sessions"."revoked_at" is null and "sessions"."expires_at" > ?) returning "user_id", "id"`;
const WHOLE_ROW = ["id", "email", "new_email", "username", "display_name", "avatar_url", "password_hash", "active", "email_verified", "disabled", "is_anonymous", "default_role", "tier", "referrer_id", "metadata", "created_at", "updated_at"];
const NARROW = ["id", "email", "display_name", "avatar_url", "active", "disabled", "is_anonymous", "default_role", "metadata", "created_at"];
const variants = {
  "whole row": db.prepare(`${rotation}, ${owner(WHOLE_ROW)}`),
  narrow: db.prepare(`${rotation}, ${owner(NARROW)}`),
  none: db.prepare(rotation),
};

let rotated = 0;
/** CPU microseconds a rotation (and its owner's JSON parsed) over ROTATIONS, GROUP to a transaction. */
function round(statement: (typeof variants)[keyof typeof variants]): number {
  const before = process.cpuUsage();
  for (let done = 0; done < ROTATIONS; done += GROUP) {
    db.run("BEGIN IMMEDIATE");
    for (let member = 0; member < GROUP; member++) {
      const index = (done + member) % SESSIONS;
      const next = sha256(`next-${rotated++}`);
      const rows = statement.values(next, now, now + 1e9, "wrk", "127.0.0.1", handles[index]!, hashes[index]!, now) as unknown[][];
      if (rows.length !== 1) throw new Error("a rotation was lost");
      if (typeof rows[0]![2] === "string") JSON.parse(rows[0]![2]);
      hashes[index] = next;
    }
    db.run("COMMIT");
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / ROTATIONS;
}

try {
  const names = Object.keys(variants) as (keyof typeof variants)[];
  const results = Object.fromEntries(names.map((name) => [name, [] as number[]]));
  for (const name of names) round(variants[name]); // warm-up
  for (let r = 0; r < ROUNDS; r++) for (const name of r % 2 === 0 ? names : [...names].reverse()) results[name]!.push(round(variants[name]));
  const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
  console.log(`${ROUNDS} rounds of ${ROTATIONS} rotations, ${GROUP} a transaction; load average ${load}`);
  for (const name of names) console.log(`${name}: ${median(results[name]!).toFixed(2)} us CPU a rotation (${results[name]!.map((v) => v.toFixed(2)).join(", ")})`);
} finally {
  db.close();
  rmSync(folder, { recursive: true, force: true });
}
