// The admin console's user search on a million accounts (issue 28): `bun bench/tools/console-user-search.ts`
// (USERS=1000000, RUNS=50). Seeds a fresh SQLite database by direct inserts (bench/lib/seed-users.ts), prints SQLite's
// plan of each query of db/repositories/user-search.ts, and times the search as the console calls it: the first page
// and a page deep into the results (after 10,000 accounts), the median of RUNS. Keyset paging: a deep page costs
// what the first does. Figures: bench/README.md ("Console user search").
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { queryPlan, seedUsers } from "../lib/seed-users.ts";
import { openDatabase } from "../../src/db/client.ts";
import { createUserSearchRepository, type SearchCursor, type UserQuery } from "../../src/db/repositories/user-search.ts";

const USERS = Number(process.env.USERS ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 50);
const PAGE = 25;

const folder = mkdtempSync(join(tmpdir(), "latchkey-console-search-"));
const file = join(folder, "latchkey.db");
try {
  const database = await openDatabase({ sqliteFile: file });
  await database.migrate();
  let started = performance.now();
  seedUsers(file, USERS);
  console.log(`seeded ${USERS} accounts in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const search = createUserSearchRepository(database.db);

  const plans: [string, { sql: string; params: unknown[] }][] = [
    ["every account, newest first", search.queries.newestFirst(null, { at: Date.now(), id: "x" }, PAGE + 1).toSQL()],
    ["by role", search.queries.byRole("admin", "8", PAGE + 1).toSQL()],
    ["by address prefix", search.queries.byEmailPrefix("seed4", null, "seed45", PAGE + 1).toSQL()],
    ["by username prefix", search.queries.byUsernamePrefix("seedname4", null, null, PAGE + 1).toSQL()],
    ["by id", search.queries.byId("00000000-0000-4000-8000-000000000000", null).toSQL()],
  ];
  for (const [name, statement] of plans) console.log(`plan, ${name}:\n  ${queryPlan(file, statement).join("\n  ")}`);

  const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;
  async function time(name: string, query: UserQuery): Promise<void> {
    // The cursor after 10,000 matches (or the last page there is): where a deep page starts.
    let cursor: SearchCursor | null = null;
    for (let skipped = 0; skipped < 10_000; skipped += 1000) {
      const page = await search.search(query, cursor, 1000);
      if (page.next === null) break;
      cursor = page.next;
    }
    for (const [label, from] of [["first page", null], ["after 10,000", cursor]] as const) {
      const times: number[] = [];
      let found = 0;
      for (let run = 0; run < RUNS; run++) {
        started = performance.now();
        found = (await search.search(query, from, PAGE)).users.length;
        times.push(performance.now() - started);
      }
      console.log(`${name.padEnd(34)} ${label.padEnd(13)} ${median(times).toFixed(3).padStart(8)} ms  (${found} accounts)`);
    }
  }
  await time("every account, newest first", { kind: "all", role: null });
  await time("role admin (1 in 100)", { kind: "all", role: "admin" });
  await time("address prefix seed4", { kind: "prefix", prefix: "seed4", role: null });
  await time("address prefix seed4 and role admin", { kind: "prefix", prefix: "seed4", role: "admin" });
  await time("username prefix seedname4", { kind: "prefix", prefix: "seedname4", role: null });
  await time("prefix with no match", { kind: "prefix", prefix: "nobody", role: null });
  await time("by id", { kind: "id", id: "00000000-0000-4000-8000-000000000000", role: null });
  await database.close();
} finally {
  rmSync(folder, { recursive: true, force: true });
}
