// The console's user search stays fast on millions of accounts (issue 28): every query of
// db/repositories/user-search.ts walks an index in the order it pages in and never sorts (SQLite's EXPLAIN QUERY
// PLAN, on 20,000 seeded accounts), and its pages, fetched with each one's cursor, cover every match once. The same
// queries on 1,000,000 accounts are timed by bench/tools/console-user-search.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { queryPlan, seedUsers } from "../bench/lib/seed-users.ts";
import { openDatabase } from "../src/db/client.ts";
import type { DatabaseHandle } from "../src/db/database.ts";
import { createUserSearchRepository, type SearchCursor } from "../src/db/repositories/user-search.ts";

const COUNT = 20_000;
let folder: string;
let file: string;
let database: DatabaseHandle;
let search: ReturnType<typeof createUserSearchRepository>;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), "latchkey-search-plan-"));
  file = join(folder, "latchkey.db");
  database = await openDatabase({ sqliteFile: file });
  await database.migrate();
  seedUsers(file, COUNT);
  search = createUserSearchRepository(database.db);
});
afterAll(async () => {
  await database.close();
  rmSync(folder, { recursive: true, force: true });
});

/** A plan that reads the users it pages through by an index, in the index's order: no full scan, no sort. */
function expectIndexed(plan: string[]): void {
  expect(plan.filter((line) => /TEMP B-TREE/.test(line))).toEqual([]);
  expect(plan.filter((line) => /^SCAN (users|user_roles)\b/.test(line) && !/USING (COVERING )?INDEX/.test(line))).toEqual([]);
  expect(plan.some((line) => /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|PRIMARY KEY/.test(line))).toBe(true);
}

describe("query plans", () => {
  test("every account, newest first: users_created_idx, first page and a later one", () => {
    expectIndexed(queryPlan(file, search.queries.newestFirst(null, null, 26).toSQL()));
    const plan = queryPlan(file, search.queries.newestFirst(null, { at: Date.now(), id: "x" }, 26).toSQL());
    expectIndexed(plan);
    expect(plan.join("\n")).toContain("users_created_idx");
  });

  test("by role: user_roles_role_idx, then each account by its primary key", () => {
    const plan = queryPlan(file, search.queries.byRole("admin", "00000000", 26).toSQL());
    expectIndexed(plan);
    expect(plan.join("\n")).toContain("user_roles_role_idx");
  });

  test("by address prefix: a range of users_email_unique", () => {
    const plan = queryPlan(file, search.queries.byEmailPrefix("seed12", null, "seed120@seed.example", 26).toSQL());
    expectIndexed(plan);
    expect(plan.join("\n")).toContain("users_email_unique (email>? AND email<?)");
  });

  test("by username prefix: a range of users_username_unique", () => {
    const plan = queryPlan(file, search.queries.byUsernamePrefix("seedname1", "admin", null, 26).toSQL());
    expectIndexed(plan);
    expect(plan.join("\n")).toContain("users_username_unique (username>? AND username<?)");
  });

  test("by id: the primary key", () => {
    expectIndexed(queryPlan(file, search.queries.byId("00000000-0000-4000-8000-000000000000", null).toSQL()));
  });
});

describe("pages", () => {
  /** Every page of a query, with the cursor each hands out. */
  async function allPages(query: Parameters<typeof search.search>[0], limit: number): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: SearchCursor | null = null;
    do {
      const page = await search.search(query, cursor, limit);
      pages.push(page.users.map((user) => user.id));
      cursor = page.next;
    } while (cursor !== null);
    return pages;
  }

  test("a prefix's pages hold each match once: addresses first (seed1, seed10 ... seed1999), then usernames", async () => {
    const pages = await allPages({ kind: "prefix", prefix: "seed1", role: null }, 97);
    const ids = pages.flat();
    // seed1, seed10-19, seed100-199, seed1000-1999, seed10000-19999: 11,111 addresses; no username starts with seed1.
    expect(ids.length).toBe(11_111);
    expect(new Set(ids).size).toBe(ids.length);
    expect(pages.slice(0, -1).every((page) => page.length === 97)).toBe(true);
  });

  test("usernames after addresses: `seedname` matches only usernames (every fifth account)", async () => {
    const ids = (await allPages({ kind: "prefix", prefix: "seedname", role: null }, 500)).flat();
    expect(ids.length).toBe(COUNT / 5);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("a page the addresses fill exactly is followed by the usernames' first page", async () => {
    // seed1999 and seed19990 ... seed19999: 11 addresses; one account whose username (not address) starts so too.
    const now = Date.now();
    await database.db.insert(database.db.tables.users).values({
      id: crypto.randomUUID(),
      email: "other@seed.example",
      username: "seed1999-by-name",
      displayName: "by name",
      defaultRole: "user",
      metadata: {},
      createdAt: now,
      updatedAt: now,
    });
    const pages = await allPages({ kind: "prefix", prefix: "seed1999", role: null }, 11);
    expect(pages.map((page) => page.length)).toEqual([11, 1]);
  });

  test("by role, every admin once; every account once, newest first", async () => {
    const admins = (await allPages({ kind: "all", role: "admin" }, 33)).flat();
    expect(admins.length).toBe(COUNT / 100);
    expect(new Set(admins).size).toBe(admins.length);
    const everyone = (await allPages({ kind: "all", role: null }, 1000)).flat();
    expect(everyone.length).toBe(COUNT + 1);
    expect(new Set(everyone).size).toBe(COUNT + 1);
  });
});
