// What the data's size costs refresh's own statement (issue 29, "data at scale": refresh on the seeded database
// within 1.2x of an empty one): the rotation with its owner (bench/lib/rotation-loop.ts) in a bun:sqlite loop on a
// copy of a seeded database (bench/seed-scale.ts: a million accounts and live sessions) and on an empty migrated one,
// each with 64 sessions of its own rotated in turn, GROUP a transaction, as the server opens SQLite (WAL,
// synchronous NORMAL, SQLITE_CACHE_MB's default page cache). Alternating rounds; CPU time a rotation, whose
// system time includes reading the pages the 2 MB cache does not hold. No HTTP, no server: the floor of the scale
// table's refresh row. `bun bench/tools/rotation-at-scale.ts <seeded data dir>` (ROTATIONS=20000, GROUP=20, ROUNDS=6).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mustRun } from "../lib/harness.ts";
import { median, pairedPercent, pairedRatio, type PairedRatio } from "../lib/report.ts";
import { addLoopSessions, migratedLoopDatabase, NARROW, openLoopDatabase, rotationRound, rotationSql } from "../lib/rotation-loop.ts";

const ROTATIONS = Number(process.env.ROTATIONS ?? 20_000);
const GROUP = Number(process.env.GROUP ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const SESSIONS = 64;

/** Seeded against empty: the medians of CPU a rotation, and the seeded rate's ratio to empty's, round by round. */
export interface RotationAtScale {
  seededUs: number;
  emptyUs: number;
  /** A rotation's rate on the seeded database against the empty one's (empty's CPU a rotation / seeded's). */
  ratio: PairedRatio;
}

export async function rotationAtScale(seededDataDir: string): Promise<RotationAtScale> {
  const folder = mkdtempSync(join(tmpdir(), "latchkey-rotation-at-scale-"));
  try {
    // A copy: the loop adds accounts and rotates sessions, and the seed may be the one kept for reuse.
    // With its WAL, if a server left one: the copy opens as the server would have seen the database.
    for (const suffix of ["", "-wal"]) {
      const from = join(seededDataDir, `latchkey.db${suffix}`);
      if (existsSync(from)) await mustRun(["cp", "-H", from, join(folder, `seeded.db${suffix}`)], { timeoutMs: 600_000 });
    }
    const databases = { seeded: openLoopDatabase(join(folder, "seeded.db")), empty: await migratedLoopDatabase(join(folder, "empty.db")) };
    const now = Date.now();
    const sql = rotationSql(NARROW);
    const sides = (["seeded", "empty"] as const).map((name) => ({ name, db: databases[name], sessions: addLoopSessions(databases[name], SESSIONS, now) }));
    const round = (side: (typeof sides)[number]) => rotationRound(side.db, sql, side.sessions, { rotations: ROTATIONS, group: GROUP, now });
    for (const side of sides) round(side); // warm-up
    const rounds: { seeded: number; empty: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const figures: Record<string, number> = {};
      for (const side of r % 2 === 0 ? sides : [...sides].reverse()) figures[side.name] = round(side);
      rounds.push({ seeded: figures.seeded!, empty: figures.empty! });
    }
    for (const side of sides) side.db.close();
    return {
      seededUs: median(rounds.map((r) => r.seeded)),
      emptyUs: median(rounds.map((r) => r.empty)),
      ratio: pairedRatio(rounds.map((r) => r.empty), rounds.map((r) => r.seeded)),
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: bun bench/tools/rotation-at-scale.ts <seeded data dir>");
  const result = await rotationAtScale(dir);
  const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
  console.log(`${ROUNDS} rounds of ${ROTATIONS} rotations, ${GROUP} a transaction; load average ${load}`);
  console.log(`seeded: ${result.seededUs.toFixed(2)} us CPU a rotation; empty: ${result.emptyUs.toFixed(2)} us; seeded at ${pairedPercent(result.ratio)} of empty's rate`);
}
