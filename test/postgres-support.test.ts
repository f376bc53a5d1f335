// test/support/postgres.ts: a real PostgreSQL server with a fresh database per call; and the PostgreSQL migrations
// and schema (drizzle/postgres/, src/db/schema-pg.ts) on it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, getTableName } from "drizzle-orm";
import { drizzle } from "drizzle-orm/bun-sql";
import { embeddedMigrations } from "../src/db/migrations.ts";
import * as pgSchema from "../src/db/schema-pg.ts";
import { startPostgres, type TestPostgres } from "./support/postgres.ts";

let postgres: TestPostgres;
const clients: Bun.SQL[] = [];

beforeAll(async () => {
  postgres = await startPostgres();
}, 120_000); // the first run on a machine without PostgreSQL installs it

afterAll(async () => {
  for (const client of clients) await client.close();
  await postgres?.stop();
});

function connect(url: string): Bun.SQL {
  const client = new Bun.SQL(url, { max: 2 });
  clients.push(client);
  return client;
}

async function tablesOf(client: Bun.SQL): Promise<string[]> {
  const rows: { table_name: string }[] = await client`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`;
  return rows.map((row) => row.table_name);
}

async function migrate(client: Bun.SQL): Promise<void> {
  for (const migration of embeddedMigrations("postgres")) {
    for (const statement of migration.sql) if (statement.trim()) await client.unsafe(statement);
  }
}

describe("startPostgres", () => {
  test("one server per process", async () => {
    const again = await startPostgres();
    try {
      expect(again.url).toBe(postgres.url);
      expect(again.port).toBe(postgres.port);
    } finally {
      await again.stop(); // releases this handle only: the first one still holds the server
    }
    expect(await connect(postgres.url)`SELECT 1 AS one`).toEqual([{ one: 1 }] as never);
  });

  test("database() gives a fresh, empty database each time, separate from the others", async () => {
    const [firstUrl, secondUrl] = await Promise.all([postgres.database(), postgres.database()]);
    expect(firstUrl).not.toBe(secondUrl);
    expect(firstUrl).toStartWith("postgres://");
    const first = connect(firstUrl!);
    const second = connect(secondUrl!);
    const [{ name: firstName }] = await first`SELECT current_database() AS name`;
    const [{ name: secondName }] = await second`SELECT current_database() AS name`;
    expect(firstName).not.toBe(secondName);
    expect(await tablesOf(first)).toEqual([]);
    expect(await tablesOf(second)).toEqual([]);

    await first`CREATE TABLE only_here (id integer PRIMARY KEY)`;
    await first`INSERT INTO only_here VALUES (1)`;
    expect(await tablesOf(first)).toEqual(["only_here"]);
    expect(await tablesOf(second)).toEqual([]);
  });
});

describe("the PostgreSQL migrations and schema", () => {
  test("drizzle/postgres/ applies cleanly to a fresh database and creates every table of schema-pg.ts", async () => {
    const client = connect(await postgres.database());
    await migrate(client);
    const expected = Object.values(pgSchema)
      .filter((value) => typeof value === "object" && value !== null && Symbol.for("drizzle:IsDrizzleTable") in value)
      .map((table) => getTableName(table as never))
      .sort();
    expect(expected.length).toBeGreaterThan(5);
    expect(await tablesOf(client)).toEqual(expected);
  });

  test("rows round-trip through drizzle with SQLite's types: numbers, booleans, JSON objects stored as jsonb objects", async () => {
    const client = connect(await postgres.database());
    await migrate(client);
    const db = drizzle({ client, schema: pgSchema });
    const before = Date.now();
    await db.insert(pgSchema.users).values({ id: "u1", defaultRole: "user", updatedAt: before, metadata: { plan: "pro", n: 1 } });
    // 5 GB: past 2^31, so `size` must not be an integer column.
    await db.insert(pgSchema.files).values({ key: "k", size: 5_000_000_000, contentType: "a/b", etag: "e", token: "t", updatedAt: before, ownerId: "u1" });

    const [user] = await db.select().from(pgSchema.users).where(eq(pgSchema.users.id, "u1"));
    expect(user).toMatchObject({ active: false, tier: 0, metadata: { plan: "pro", n: 1 }, updatedAt: before });
    expect(typeof user!.createdAt).toBe("number");
    expect(user!.createdAt).toBeGreaterThanOrEqual(before - 5_000); // the database's clock: allow some skew
    expect(user!.createdAt).toBeLessThan(before + 60_000);
    const [file] = await db.select().from(pgSchema.files);
    expect(file!.size).toBe(5_000_000_000);

    // Stored as a jsonb object, not as a JSON string (what drizzle's own jsonb() does on Bun.SQL).
    await db.update(pgSchema.users).set({ metadata: { plan: "free" } }).where(eq(pgSchema.users.id, "u1"));
    const [raw] = await client`SELECT jsonb_typeof(metadata) AS type, metadata->>'plan' AS plan FROM users`;
    expect(raw).toEqual({ type: "object", plan: "free" });

    // Deleting a user cascades (and clears file ownership), as in SQLite.
    await db.insert(pgSchema.sessions).values({ id: "s1", userId: "u1", handle: "h", tokenHash: "t", expiresAt: before + 1000 });
    await db.delete(pgSchema.users).where(eq(pgSchema.users.id, "u1"));
    expect(await db.select().from(pgSchema.sessions)).toEqual([]);
    expect((await db.select().from(pgSchema.files))[0]!.ownerId).toBeNull();
  });
});
