// Fills a latchkey data directory with the data of a large deployment (issue 29, "data at scale"), fast: direct
// inserts into its SQLite database in big transactions, with the PRAGMAs of a bulk load, instead of millions of
// API calls (a sign-up costs an argon2id hash: a million would take hours on two cores).
//
//   bun bench/seed-scale.ts <data dir> [accounts]        (accounts: default 1,000,000)
//
// The data directory must hold a migrated database and no running server (bench/scale.ts starts the binary on it
// once and stops it first). What goes in, for N accounts:
//   - N accounts `scale-<n>@example.com`, password bench-password-1 (ONE argon2id hash, computed once and reused),
//     role `user`; every tenth (n % 10 == 0) with an enabled TOTP credential;
//   - N live sessions, one per account (random handles: the unique index is as a real one is);
//   - 10 N rate-limit and challenge rows (5 N each), a tenth of them expired (what the start-up purge deletes);
//   - N/10 files in one folder (`user/<account 1>/big/`) plus N/1000 folders of 100 (`user/<account k>/docs/`):
//     rows, and bytes on disk (one small file hard-linked under every key: the blob store reads them as any other).
// Options by environment: SEED_ONLY_EXPIRED=1 adds only another 5 N expired rate-limit and challenge rows (what a
// purge then deletes), for a purge measured again on the same data.
import { Database } from "bun:sqlite";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { linkSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const SCALE_PASSWORD = "bench-password-1";
export const scaleEmail = (n: number) => `scale-${n}@example.com`;
/** The account whose folder holds the big one (n = 1: no TOTP, so the bench can sign in as it). */
export const BIG_FOLDER_OWNER = 1;
export const bigFolder = (ownerId: string) => `user/${ownerId}/big/`;
export const docsFolder = (ownerId: string) => `user/${ownerId}/docs/`;
/** The account that owns the k-th 100-file docs folder: n = 11, 21, 31 ... (n % 10 == 1: no TOTP). */
export const docsOwner = (k: number) => 10 * (k + 1) + 1;

const DAY = 86_400_000;
const BATCH = 50_000;

interface Seeded {
  ms: number;
  rows: number;
}

export async function seedScale(dataDir: string, accounts: number, options: { onlyExpired?: boolean; log?: (line: string) => void } = {}): Promise<Seeded> {
  const log = options.log ?? ((line: string) => console.log(`[seed] ${line}`));
  const started = performance.now();
  const db = new Database(join(dataDir, "latchkey.db"));
  // A bulk load into a database no one else has open: no fsync, a big cache, no foreign-key checks (the rows are
  // consistent by construction). journal_mode stays WAL (the server's).
  db.exec("PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000; PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY;");
  const now = Date.now();
  let rows = 0;
  const inBatches = (total: number, what: string, insert: (from: number, to: number) => void) => {
    const at = performance.now();
    for (let from = 0; from < total; from += BATCH) {
      db.transaction(() => insert(from, Math.min(total, from + BATCH)))();
    }
    rows += total;
    log(`${what}: ${total.toLocaleString("en")} rows in ${((performance.now() - at) / 1000).toFixed(1)} s`);
  };
  const hex = (bytes: number) => randomBytes(bytes).toString("hex");

  const expired = (n: number) => options.onlyExpired || n % 10 === 0;
  const otherRows = 5 * accounts;
  const rateLimit = db.prepare("INSERT OR REPLACE INTO rate_limits (key, count, window_start) VALUES (?, ?, ?)");
  const challenge = db.prepare(
    "INSERT INTO challenges (id, user_id, purpose, secret_hash, code, email, data, attempts, expires_at, created_at) VALUES (?, NULL, ?, ?, NULL, NULL, '{}', 0, ?, ?)",
  );
  const seedThrottlingAndChallenges = () => {
    // Keys as the guess counters write them (core/throttling/guesses.ts), for addresses and accounts that are not
    // the bench's: no seeded row limits the bench's own requests.
    inBatches(otherRows, options.onlyExpired ? "expired rate-limit rows" : "rate-limit rows", (from, to) => {
      for (let n = from; n < to; n++) {
        const start = expired(n) ? now - 2 * DAY - (n % 1000) * 1000 : now - (n % 3600) * 1000;
        // Addresses in random order, as clients come: the key index is not in rowid order.
        const ip = randomBytes(3);
        rateLimit.run(`guess:from:10.${ip[0]}.${ip[1]}.${ip[2]}:${hex(6)}`, 1 + (n % 5), start);
      }
    });
    inBatches(otherRows, options.onlyExpired ? "expired challenge rows" : "challenge rows", (from, to) => {
      for (let n = from; n < to; n++) {
        // Live ones for two days: still live when a later purge (the next hour's) comes round during the bench.
        const expires = expired(n) ? now - 1000 - (n % 86_400) * 1000 : now + 2 * DAY - (n % 86_400) * 1000;
        challenge.run(randomUUID(), n % 3 === 0 ? "magic-link" : "reset-password", hex(32), expires, expires - 600_000);
      }
    });
  };

  // Closed only once every statement is finalized: bun:sqlite's close() otherwise defers SQLite's own close (and the
  // removal of the -wal and -shm files) until the statements are collected, and a copy of the folder started at
  // once then failed on a -wal file that vanished under it.
  const closeAll = (...statements: { finalize(): void }[]) => {
    for (const statement of [rateLimit, challenge, ...statements]) statement.finalize();
    db.close(true);
  };
  if (options.onlyExpired) {
    seedThrottlingAndChallenges();
    closeAll();
    return { ms: performance.now() - started, rows };
  }

  log(`hashing the one password (argon2id m=19456 t=2)`);
  const hash = await Bun.password.hash(SCALE_PASSWORD, { algorithm: "argon2id", memoryCost: 19456, timeCost: 2 });
  const ids: string[] = new Array(accounts);
  for (let n = 0; n < accounts; n++) ids[n] = randomUUID();

  const user = db.prepare(
    "INSERT INTO users (id, email, display_name, password_hash, active, email_verified, disabled, is_anonymous, default_role, metadata, created_at, updated_at, tier) VALUES (?, ?, ?, ?, 1, 1, 0, 0, 'user', '{}', ?, ?, 0)",
  );
  const role = db.prepare("INSERT INTO user_roles (user_id, role) VALUES (?, 'user')");
  const totp = db.prepare("INSERT INTO totp_credentials (user_id, secret, enabled, last_used_step, created_at) VALUES (?, ?, 1, NULL, ?)");
  const base32 = (bytes: Buffer) => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits = 0;
    let value = 0;
    let out = "";
    for (const byte of bytes) {
      value = (value << 8) | byte;
      bits += 8;
      while (bits >= 5) {
        out += alphabet[(value >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    return out;
  };
  inBatches(accounts, "accounts (with roles; TOTP for a tenth)", (from, to) => {
    for (let n = from; n < to; n++) {
      const created = now - (accounts - n) * 1000;
      user.run(ids[n]!, scaleEmail(n), scaleEmail(n), hash, created, created);
      role.run(ids[n]!);
      if (n % 10 === 0) totp.run(ids[n]!, base32(randomBytes(20)), created);
    }
  });
  rows += accounts + Math.ceil(accounts / 10);

  const session = db.prepare(
    "INSERT INTO sessions (id, user_id, handle, token_hash, expires_at, created_at, user_agent, ip) VALUES (?, ?, ?, ?, ?, ?, 'seed', '10.0.0.1')",
  );
  inBatches(accounts, "live sessions", (from, to) => {
    for (let n = from; n < to; n++) {
      session.run(randomUUID(), ids[n]!, `${hex(8)}-${hex(1)}`, hex(32), now + 30 * DAY - n, now - n);
    }
  });

  seedThrottlingAndChallenges();

  // Files: one blob on disk, hard-linked under every key (a link is a directory entry, not a copy).
  const objects = join(dataDir, "storage/objects");
  const content = "seeded file\n";
  const etag = `"${createHash("md5").update(content).digest("hex")}"`;
  // A file has at most 65,000 links on ext4: a new original for every LINKS_A_FILE keys.
  const LINKS_A_FILE = 50_000;
  mkdirSync(join(dataDir, "storage"), { recursive: true });
  let links = 0;
  let original = "";
  const nextOriginal = () => {
    if (links++ % LINKS_A_FILE === 0) {
      original = join(dataDir, `storage/seed-blob-${links}.txt`);
      writeFileSync(original, content);
    }
    return original;
  };
  const file = db.prepare(
    "INSERT INTO files (key, size, content_type, etag, token, owner_id, created_at, updated_at) VALUES (?, ?, 'text/plain', ?, ?, ?, ?, ?)",
  );
  const addFiles = (what: string, keys: (n: number) => string, count: number, owner: (n: number) => string) =>
    inBatches(count, what, (from, to) => {
      for (let n = from; n < to; n++) {
        const key = keys(n);
        const path = join(objects, key);
        if (n % 100 === 0 || n === from) mkdirSync(dirname(path), { recursive: true });
        linkSync(nextOriginal(), path);
        file.run(key, content.length, etag, randomUUID(), owner(n), now, now);
      }
    });
  const bigCount = Math.floor(accounts / 10);
  const folders = Math.floor(accounts / 1000);
  const bigOwner = ids[BIG_FOLDER_OWNER]!;
  addFiles(`files in one folder (${bigFolder("<id>")})`, (n) => `${bigFolder(bigOwner)}file-${String(n).padStart(6, "0")}.txt`, bigCount, () => bigOwner);
  addFiles(
    `files in ${folders} folders of 100`,
    (n) => `${docsFolder(ids[docsOwner(Math.floor(n / 100))]!)}file-${String(n % 100).padStart(2, "0")}.txt`,
    folders * 100,
    (n) => ids[docsOwner(Math.floor(n / 100))]!,
  );
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  closeAll(user, role, totp, session, file);
  return { ms: performance.now() - started, rows };
}

if (import.meta.main) {
  const [dataDir, count] = process.argv.slice(2);
  if (!dataDir) {
    console.error("usage: bun bench/seed-scale.ts <data dir> [accounts]");
    process.exit(2);
  }
  const accounts = Number(count ?? 1_000_000);
  const seeded = await seedScale(dataDir, accounts, { onlyExpired: process.env.SEED_ONLY_EXPIRED === "1" });
  console.log(`[seed] ${seeded.rows.toLocaleString("en")} rows in ${(seeded.ms / 1000).toFixed(1)} s`);
}
