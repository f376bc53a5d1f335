// The floor under a refresh: a refresh-token rotation's statements in bun:sqlite alone, no HTTP, JWT or JSON.
// `bun bench/tools/rotation-floor.ts` (ROTATIONS=40000, GROUP=16: rotations per transaction, as src/db/group-commit.ts
// makes them under load; LIVE=64 sessions refreshed in turn). Same schema (latchkey's migrations), pragmas and
// statements as src/core/sessions.ts; the table starts with 100,000 sessions, as a used server's has. Prints us per rotation with SQLite's own
// checkpoints (inside the commits, as before issue 7's checkpoint worker) and without (what the event loop pays
// now that a worker copies the WAL). Then the same with a one-row-per-family design (not latchkey's schema, a
// sketch to size the next step): the token names its family, whose row holds the current token's hash and is
// updated in place, so a rotation rewrites one row and no index (its user index entry does not change).
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
    for (const migration of embeddedMigrations("sqlite")) for (const statement of migration.sql) if (statement.trim()) db.run(statement);
    const now = Date.now();
    const users = Array.from({ length: USERS }, () => crypto.randomUUID());
    const addUser = db.prepare("INSERT INTO users (id, email, active, default_role, updated_at) VALUES (?, ?, 1, 'user', ?)");
    const insert = db.prepare(
      "INSERT INTO sessions (id, user_id, token_hash, family_id, expires_at, created_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const tokens: string[] = [];
    const families = Array.from({ length: LIVE }, () => crypto.randomUUID());
    db.transaction(() => {
      users.forEach((id, index) => addUser.run(id, `u${index}@example.com`, now));
      for (let index = 0; index < EXISTING_SESSIONS; index++) {
        insert.run(Bun.randomUUIDv7(), users[index % USERS]!, sha256(crypto.randomUUID()), crypto.randomUUID(), now + 1e9, now, "bench", "127.0.0.1");
      }
      families.forEach((family, index) => {
        const token = crypto.randomUUID();
        tokens.push(token);
        insert.run(Bun.randomUUIDv7(), users[index % USERS]!, sha256(token), family, now + 1e9, now, "bench", "127.0.0.1");
      });
    })();
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    // SQLite's default is 1000 pages; the server sets 16384 as a backstop and leaves the copying to its worker.
    db.run(`PRAGMA wal_autocheckpoint = ${ownCheckpoints ? 1000 : 0}`);
    const claim = db.prepare(
      "UPDATE sessions SET rotated_at = ?1 WHERE token_hash = ?2 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > ?1 RETURNING user_id, family_id",
    );
    const owner = db.prepare("SELECT active, disabled FROM users WHERE id = ?");
    return timeRotations(db, (index) => {
      const at = Date.now();
      const [row] = claim.values(at, sha256(tokens[index]!)) as [string, string][];
      if (!row) throw new Error("a live token was not claimed");
      owner.values(row[0]);
      const next = crypto.randomUUID();
      insert.run(Bun.randomUUIDv7(), row[0], sha256(next), row[1], at + 1e9, at, "bench", "127.0.0.1");
      tokens[index] = next;
    });
  });
}

/** One row per family, rotated in place; the same 100,000 rows beside the ones in use, and no checkpoints inside. */
function runInPlace(): number {
  return inScratchDatabase((db) => {
    db.run("PRAGMA wal_autocheckpoint = 0");
    db.run("CREATE TABLE users (id TEXT PRIMARY KEY, active INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0)");
    db.run(`CREATE TABLE families (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id), token_hash TEXT NOT NULL,
      previous_hash TEXT, expires_at INTEGER NOT NULL, rotated_at INTEGER, revoked_at INTEGER, user_agent TEXT, ip TEXT)`);
    db.run("CREATE INDEX families_user_idx ON families (user_id)");
    const now = Date.now();
    const users = Array.from({ length: USERS }, () => crypto.randomUUID());
    const insert = db.prepare("INSERT INTO families (id, user_id, token_hash, expires_at, user_agent, ip) VALUES (?, ?, ?, ?, 'bench', '127.0.0.1')");
    const live: { family: string; token: string }[] = [];
    db.transaction(() => {
      for (const id of users) db.run("INSERT INTO users (id, active) VALUES (?, 1)", [id]);
      for (let index = 0; index < EXISTING_SESSIONS; index++) insert.run(crypto.randomUUID(), users[index % USERS]!, sha256(crypto.randomUUID()), now + 1e9);
      for (let index = 0; index < LIVE; index++) {
        const family = crypto.randomUUID();
        const token = crypto.randomUUID();
        live.push({ family, token });
        insert.run(family, users[index % USERS]!, sha256(token), now + 1e9);
      }
    })();
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    const claim = db.prepare(
      `UPDATE families SET previous_hash = token_hash, token_hash = ?3, rotated_at = ?1
       WHERE id = ?2 AND token_hash = ?4 AND revoked_at IS NULL AND expires_at > ?1 RETURNING user_id`,
    );
    const owner = db.prepare("SELECT active, disabled FROM users WHERE id = ?");
    return timeRotations(db, (index) => {
      const session = live[index]!;
      const next = crypto.randomUUID();
      const [row] = claim.values(Date.now(), session.family, sha256(next), sha256(session.token)) as [string][];
      if (!row) throw new Error("a live token was not claimed");
      owner.values(row[0]);
      session.token = next;
    });
  });
}

const own = run(true);
const none = run(false);
const inPlace = runInPlace();
console.log(`rotation, ${GROUP} per transaction: ${own.toFixed(1)} us with SQLite's checkpoints in the commits, ${none.toFixed(1)} us without`);
console.log(`ceiling of the writes alone on this thread: ${Math.round(1e6 / none)} rotations/s`);
console.log(`sketch, one row per family rotated in place: ${inPlace.toFixed(1)} us (${Math.round(1e6 / inPlace)} rotations/s)`);
