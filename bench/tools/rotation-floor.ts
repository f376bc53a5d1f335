// The floor under a refresh: a refresh-token rotation's statements in bun:sqlite alone, no HTTP, JWT or JSON.
// `bun bench/tools/rotation-floor.ts` (ROTATIONS=40000, GROUP=16: rotations per transaction, as src/db/group-commit.ts
// makes them under load; LIVE=64 sessions refreshed in turn). Same schema (latchkey's migrations), pragmas and
// statements as src/core/sessions/sessions.ts; the table starts with 100,000 sessions, as a used server's has. Prints us per
// rotation with SQLite's own checkpoints (inside the commits, as before issue 7's checkpoint worker) and without (what
// the event loop pays now that a worker copies the WAL). A session is one row, found by its token's handle and
// rewritten in place: a rotation writes one row and no index entry.
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/db/migrations.ts";

const ROTATIONS = Number(process.env.ROTATIONS ?? 40_000);
const GROUP = Number(process.env.GROUP ?? 16);
const USERS = 64;
/** Sessions being refreshed in turn (LIVE=64: the bench's 64 sign-ins); each belongs to one of the 64 users. */
const LIVE = Number(process.env.LIVE ?? 64);
const EXISTING_SESSIONS = 100_000;

const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

/** A fresh WAL database in a scratch folder for `body`, removed after. */
function inScratchDatabase<T>(body: (db: Database) => T): T {
  const folder = mkdtempSync(join(tmpdir(), "latchkey-rotation-floor-"));
  try {
    const db = new Database(join(folder, "latchkey.db"), { create: true, strict: true });
    try {
      db.run("PRAGMA journal_mode = WAL");
      db.run("PRAGMA synchronous = NORMAL");
      db.run("PRAGMA foreign_keys = ON");
      return body(db);
    } finally {
      db.close();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Runs ROTATIONS rotations (`rotate(index)` rotates live session `index`), GROUP to a transaction: us a rotation. */
function timeRotations(db: Database, rotate: (index: number) => void): number {
  const started = performance.now();
  for (let done = 0; done < ROTATIONS; done += GROUP) {
    db.run("BEGIN IMMEDIATE");
    for (let member = 0; member < GROUP; member++) rotate((done + member) % LIVE);
    db.run("COMMIT");
  }
  return ((performance.now() - started) * 1000) / ROTATIONS;
}

function run(ownCheckpoints: boolean): number {
  return inScratchDatabase((db) => {
    // The migrator lends the connection the digest its carry-over migrations use (src/db/sqlite.ts, migrateSqlite).
    db.function("sha256_hex", (text: unknown) => (typeof text === "string" ? sha256(text) : null));
    for (const migration of embeddedMigrations("sqlite")) for (const statement of migration.sql) if (statement.trim()) db.run(statement);
    const now = Date.now();
    const users = Array.from({ length: USERS }, () => crypto.randomUUID());
    const addUser = db.prepare("INSERT INTO users (id, email, active, default_role, updated_at) VALUES (?, ?, 1, 'user', ?)");
    const insert = db.prepare(
      "INSERT INTO sessions (id, user_id, handle, token_hash, expires_at, created_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const tokens: string[] = [];
    db.transaction(() => {
      users.forEach((id, index) => addUser.run(id, `u${index}@example.com`, now));
      const add = (index: number, token: string) =>
        insert.run(crypto.randomUUID(), users[index % USERS]!, token.slice(0, 18), sha256(token), now + 1e9, now, "bench", "127.0.0.1");
      for (let index = 0; index < EXISTING_SESSIONS; index++) add(index, crypto.randomUUID());
      for (let index = 0; index < LIVE; index++) {
        tokens.push(crypto.randomUUID());
        add(index, tokens[index]!);
      }
    })();
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    // SQLite's default is 1000 pages; the server sets 16384 as a backstop and leaves the copying to its worker.
    db.run(`PRAGMA wal_autocheckpoint = ${ownCheckpoints ? 1000 : 0}`);
    const claim = db.prepare(
      `UPDATE sessions SET token_hash = ?3, rotated_at = ?1, expires_at = ?5, user_agent = 'bench', ip = '127.0.0.1'
       WHERE handle = ?2 AND token_hash = ?4 AND revoked_at IS NULL AND expires_at > ?1 RETURNING user_id, id`,
    );
    const owner = db.prepare("SELECT active, disabled FROM users WHERE id = ?");
    return timeRotations(db, (index) => {
      const at = Date.now();
      const token = tokens[index]!;
      const next = token.slice(0, 18) + crypto.randomUUID().slice(18);
      const [row] = claim.values(at, token.slice(0, 18), sha256(next), sha256(token), at + 1e9) as [string, string][];
      if (!row) throw new Error("a live token was not claimed");
      owner.values(row[0]);
      tokens[index] = next;
    });
  });
}

const own = run(true);
const none = run(false);
console.log(`rotation, ${GROUP} per transaction: ${own.toFixed(1)} us with SQLite's checkpoints in the commits, ${none.toFixed(1)} us without`);
console.log(`ceiling of the writes alone on this thread: ${Math.round(1e6 / none)} rotations/s`);
