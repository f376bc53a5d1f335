// The floor under a refresh: a refresh-token rotation's statements in bun:sqlite alone, no HTTP, JWT or JSON.
// `bun bench/tools/rotation-floor.ts` (ROTATIONS=40000, GROUP=16: rotations per transaction, as src/db/group-commit.ts
// makes them under load). Same schema (latchkey's migrations), pragmas and statements as src/core/sessions.ts;
// the table starts with 100,000 sessions, as a used server's has. Prints us per rotation with SQLite's own
// checkpoints (inside the commits, as before issue 7's checkpoint worker) and without (what the event loop pays
// now that a worker copies the WAL).
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/db/migrations.ts";

const ROTATIONS = Number(process.env.ROTATIONS ?? 40_000);
const GROUP = Number(process.env.GROUP ?? 16);
const USERS = 64;
const EXISTING_SESSIONS = 100_000;

const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

function run(ownCheckpoints: boolean): number {
  const folder = mkdtempSync(join(tmpdir(), "latchkey-rotation-floor-"));
  try {
    const db = new Database(join(folder, "latchkey.db"), { create: true, strict: true });
    db.run("PRAGMA journal_mode = WAL");
    db.run("PRAGMA synchronous = NORMAL");
    db.run("PRAGMA foreign_keys = ON");
    for (const migration of embeddedMigrations("sqlite")) for (const statement of migration.sql) if (statement.trim()) db.run(statement);
    const now = Date.now();
    const users = Array.from({ length: USERS }, () => crypto.randomUUID());
    const addUser = db.prepare("INSERT INTO users (id, email, active, default_role, updated_at) VALUES (?, ?, 1, 'user', ?)");
    const insert = db.prepare(
      "INSERT INTO sessions (id, user_id, token_hash, family_id, expires_at, created_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const tokens: string[] = [];
    const families = users.map(() => crypto.randomUUID());
    db.transaction(() => {
      users.forEach((id, index) => addUser.run(id, `u${index}@example.com`, now));
      for (let index = 0; index < EXISTING_SESSIONS; index++) {
        insert.run(Bun.randomUUIDv7(), users[index % USERS]!, sha256(crypto.randomUUID()), crypto.randomUUID(), now + 1e9, now, "bench", "127.0.0.1");
      }
      users.forEach((id, index) => {
        const token = crypto.randomUUID();
        tokens.push(token);
        insert.run(Bun.randomUUIDv7(), id, sha256(token), families[index]!, now + 1e9, now, "bench", "127.0.0.1");
      });
    })();
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    // SQLite's default is 1000 pages; the server sets 16384 as a backstop and leaves the copying to its worker.
    db.run(`PRAGMA wal_autocheckpoint = ${ownCheckpoints ? 1000 : 0}`);
    const claim = db.prepare(
      "UPDATE sessions SET rotated_at = ?1 WHERE token_hash = ?2 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > ?1 RETURNING user_id, family_id",
    );
    const owner = db.prepare("SELECT active, disabled FROM users WHERE id = ?");
    const started = performance.now();
    for (let done = 0; done < ROTATIONS; done += GROUP) {
      db.run("BEGIN IMMEDIATE");
      for (let member = 0; member < GROUP; member++) {
        const index = (done + member) % USERS;
        const at = Date.now();
        const [row] = claim.values(at, sha256(tokens[index]!)) as [string, string][];
        if (!row) throw new Error("a live token was not claimed");
        owner.values(row[0]);
        const next = crypto.randomUUID();
        insert.run(Bun.randomUUIDv7(), row[0], sha256(next), row[1], at + 1e9, at, "bench", "127.0.0.1");
        tokens[index] = next;
      }
      db.run("COMMIT");
    }
    const microseconds = ((performance.now() - started) * 1000) / ROTATIONS;
    db.close();
    return microseconds;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const own = run(true);
const none = run(false);
console.log(`rotation, ${GROUP} per transaction: ${own.toFixed(1)} us with SQLite's checkpoints in the commits, ${none.toFixed(1)} us without`);
console.log(`ceiling of the writes alone on this thread: ${Math.round(1e6 / none)} rotations/s`);
