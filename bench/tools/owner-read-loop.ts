// What reading a session's owner costs the rotation's statement (src/db/repositories/sessions.ts, users.ts's
// sessionUserOf), in bun:sqlite alone: the UPDATE ... RETURNING as drizzle compiles it, with the owner's columns and
// roles as one JSON array (the columns a refresh uses, "narrow"; every column, "whole row", as before the third pass in
// bench/README.md "Refresh"), or without the owner ("none"). 64 users with two roles and 64 sessions on latchkey's
// migrations, GROUP rotations a transaction, the owner's JSON parsed; CPU time a rotation, median of ROUNDS
// alternating rounds of ROTATIONS. `bun bench/tools/owner-read-loop.ts` (ROTATIONS=40000, GROUP=20, ROUNDS=8).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addLoopSessions, migratedLoopDatabase, NARROW, rotationRound, rotationSql, WHOLE_ROW } from "../lib/rotation-loop.ts";
import { median } from "../lib/report.ts";

const ROTATIONS = Number(process.env.ROTATIONS ?? 40_000);
const GROUP = Number(process.env.GROUP ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const SESSIONS = 64;

const folder = mkdtempSync(join(tmpdir(), "latchkey-owner-read-"));
const file = join(folder, "latchkey.db");
const db = await migratedLoopDatabase(file);

const now = Date.now();
const sessions = addLoopSessions(db, SESSIONS, now);
const variants = { "whole row": rotationSql(WHOLE_ROW), narrow: rotationSql(NARROW), none: rotationSql(null) };
const round = (sql: string) => rotationRound(db, sql, sessions, { rotations: ROTATIONS, group: GROUP, now });

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
