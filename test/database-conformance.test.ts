// The database port on both engines: the shared conformance suite (test/support/database-conformance.ts) on SQLite
// (a fresh temporary file per case) and on PostgreSQL (a fresh database per case), plus what only PostgreSQL has:
// several instances on one database, i.e. two handles on one URL.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type DatabaseHandle } from "../src/db/client.ts";
import { embeddedMigrations } from "../src/db/migrations.ts";
import { databaseConformance, meetingPair, overlapRecorder, userRow } from "./support/database-conformance.ts";
import { startPostgres, type TestPostgres } from "./support/postgres.ts";

const root = mkdtempSync(join(tmpdir(), "latchkey-db-conformance-"));
let files = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

databaseConformance("SQLite", () => openDatabase({ sqliteFile: join(root, `${++files}.db`) }));

let postgres: TestPostgres | undefined;
beforeAll(async () => {
  postgres = await startPostgres();
}, 120_000); // the first run on a machine without PostgreSQL installs it
afterAll(async () => {
  await postgres?.stop();
});

databaseConformance("PostgreSQL", async () => openDatabase({ url: await postgres!.database(), sqliteFile: join(root, "unused.db") }));

describe("PostgreSQL: several instances on one database", () => {
  const handles: DatabaseHandle[] = [];
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close();
  });

  /** Two handles on one fresh database, as two instances with the same DATABASE_URL. */
  async function twoInstances(): Promise<[DatabaseHandle, DatabaseHandle]> {
    const url = await postgres!.database();
    const pair = [await openDatabase({ url, sqliteFile: "" }), await openDatabase({ url, sqliteFile: "" })] as [DatabaseHandle, DatabaseHandle];
    handles.push(...pair);
    return pair;
  }

  test("two instances migrating at the same moment: one applies every migration, the other nothing, neither fails", async () => {
    const [first, second] = await twoInstances();
    const results = await Promise.all([first.migrate(), second.migrate()]);
    const tags = embeddedMigrations("postgres").map((migration) => migration.tag);
    expect(results.toSorted((a, b) => a.length - b.length)).toEqual([[], tags]);
    // Both see the schema.
    await first.db.insert(first.db.tables.users).values(userRow("u1"));
    expect((await second.db.select().from(second.db.tables.users)).map((row) => row.id)).toEqual(["u1"]);
  });

  test("withLock under one name never overlaps across instances", async () => {
    const [first, second] = await twoInstances();
    await first.migrate();
    const recorder = overlapRecorder();
    await Promise.all(Array.from({ length: 10 }, (_, index) => (index % 2 === 0 ? first : second).db.withLock("files:shared", recorder.action)));
    expect(recorder.finished).toBe(10);
    expect(recorder.most).toBe(1);
  });

  test("withLock under different names runs at the same time across instances", async () => {
    const [first, second] = await twoInstances();
    const [one, two] = meetingPair();
    await Promise.all([first.db.withLock("files:one", one), second.db.withLock("files:two", two)]);
  });
});
