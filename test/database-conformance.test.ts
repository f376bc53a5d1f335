// The database port on both engines: the shared conformance suite (test/support/database-conformance.ts) on SQLite
// (a fresh temporary file per case) and on PostgreSQL (a fresh database per case), plus what only PostgreSQL has:
// several instances on one database, i.e. two handles on one URL.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type DatabaseHandle } from "../src/db/client.ts";
import type { Database } from "../src/db/client.ts";
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

// SQLite's lookups of one turn of the event loop share a read transaction (src/db/sqlite.ts). A second handle on
// the same file stands for another process, such as a CLI command beside the server.
describe("SQLite: the read transaction a turn's lookups share", () => {
  const handles: DatabaseHandle[] = [];
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close();
  });

  async function twoHandles(): Promise<[Database, Database]> {
    const sqliteFile = join(root, `${++files}.db`);
    const server = await openDatabase({ sqliteFile }, { serving: true });
    await server.migrate();
    const other = await openDatabase({ sqliteFile });
    handles.push(server, other);
    return [server.db, other.db];
  }
  // Its statements run on the one connection past the transaction gate, so outside a transaction they must refuse.
  test("a transaction statement refuses to run outside a transaction", async () => {
    const [db] = await twoHandles();
    const { users } = db.tables;
    await db.insert(users).values(userRow("u1"));
    const rename = db.transactionStatement((tx) =>
      tx.update(users).set({ displayName: sql`${sql.placeholder("name")}` }).where(eq(users.id, sql.placeholder("id"))).returning({ id: users.id }).prepare(),
    );
    await expect(rename(db, { id: "u1", name: "x" })).rejects.toThrow("outside its transaction");
    expect(await displayNameIn(db)).toBeNull();
    expect(await db.transaction(async (tx) => rename(tx, { id: "u1", name: "x" }))).toEqual([{ id: "u1" }]);
    expect(await displayNameIn(db)).toBe("x");
  });
  const byIdOf = (db: Database) => db.lookup(db.select().from(db.tables.users).where(eq(db.tables.users.id, sql.placeholder("key"))));
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  /** What another connection reads with a plain select (which a turn's read does not hold back). */
  const displayNameIn = async (db: Database) =>
    (await db.select({ name: db.tables.users.displayName }).from(db.tables.users).where(eq(db.tables.users.id, "u1")))[0]!.name;

  test("a write after a lookup in the same turn is committed at once: another connection sees it, and so does the next lookup", async () => {
    const [server, other] = await twoHandles();
    await server.insert(server.tables.users).values(userRow("u1", { displayName: "before" }));
    const byId = byIdOf(server);
    expect((await byId("u1"))!.displayName).toBe("before");
    await server.update(server.tables.users).set({ displayName: "after" }).where(eq(server.tables.users.id, "u1"));
    expect(await displayNameIn(other)).toBe("after");
    expect((await byId("u1"))!.displayName).toBe("after");
    // A transaction can start right after a lookup, in the same turn.
    await byId("u1");
    await server.transaction(async (tx) => {
      await tx.update(server.tables.users).set({ displayName: "in a transaction" }).where(eq(server.tables.users.id, "u1"));
    });
    expect(await displayNameIn(other)).toBe("in a transaction");
  });

  test("another connection's commit is seen by the lookups of the next turn", async () => {
    const [server, other] = await twoHandles();
    await server.insert(server.tables.users).values(userRow("u1", { disabled: false }));
    const byId = byIdOf(server);
    expect((await byId("u1"))!.disabled).toBe(false);
    await other.update(other.tables.users).set({ disabled: true }).where(eq(other.tables.users.id, "u1"));
    await nextTurn();
    expect((await byId("u1"))!.disabled).toBe(true);
  });

  test("the read ends with its turn: another connection's writes and checkpoints are not held up", async () => {
    const [server, other] = await twoHandles();
    await server.insert(server.tables.users).values(userRow("u1"));
    const byId = byIdOf(server);
    await byId("u1");
    await nextTurn();
    // A TRUNCATE checkpoint needs every reader gone: a read left open would make it report busy (1).
    const [result] = await other.all<{ busy: number }>(sql`PRAGMA wal_checkpoint(TRUNCATE)`);
    expect(Object.values(result as object)[0]).toBe(0);
  });
});
