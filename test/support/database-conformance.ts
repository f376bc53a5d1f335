// The database port conformance suite (issue 8): every driver runs these cases (SQLite on a temporary file and
// PostgreSQL on a fresh database, in test/database-conformance.test.ts), so a driver cannot drift from what core
// relies on: migrations, column types, unique violations, transactions, atomic claims and upserts, named locks and
// prepared statements. Cases that need two handles on one database (several instances) are PostgreSQL's own, in
// the test file.
import { afterEach, describe, expect, test } from "bun:test";
import { and, eq, getTableColumns, is, sql, Table } from "drizzle-orm";
import type { Database, DatabaseHandle } from "../../src/db/client.ts";
import { isUniqueViolation } from "../../src/db/errors.ts";
import { embeddedMigrations } from "../../src/db/migrations.ts";
import { createRateLimitsRepository } from "../../src/db/repositories/rate-limits.ts";
import { accountRepositoryConformance } from "./account-repository-conformance.ts";
import { challengesRepositoryConformance } from "./challenges-conformance.ts";
import { filesRepositoryConformance } from "./files-conformance.ts";
import { mailQueueRepositoryConformance } from "./mail-queue-conformance.ts";
import { passkeysRepositoryConformance } from "./passkeys-conformance.ts";
import { secondFactorRepositoryConformance } from "./second-factor-conformance.ts";
import { upkeepRepositoryConformance } from "./upkeep-conformance.ts";

type UserInsert = Database["tables"]["users"]["$inferInsert"];

/** A user row with every required column; `overrides` for the case at hand. */
export function userRow(id: string, overrides: Partial<UserInsert> = {}): UserInsert {
  return { id, email: `${id}@example.com`, defaultRole: "user", updatedAt: 1_700_000_000_000, ...overrides };
}

/** The ids in the users table, sorted. */
async function userIds(db: Database): Promise<string[]> {
  const rows = await db.select({ id: db.tables.users.id }).from(db.tables.users);
  return rows.map((row) => row.id).sort();
}

/** Rejects with `message` if `promise` has not settled after `ms` (a safety net that turns a hang into a failure). */
export function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** An action that records how many copies of it run at once: under one lock name that must never pass 1. */
export function overlapRecorder(): { action: () => Promise<void>; readonly most: number; readonly finished: number } {
  let inside = 0;
  let most = 0;
  let finished = 0;
  return {
    async action() {
      inside++;
      most = Math.max(most, inside);
      // Several turns of the event loop inside, so an action that was let in early would overlap this one.
      for (let step = 0; step < 3; step++) await Bun.sleep(5);
      inside--;
      finished++;
    },
    get most() {
      return most;
    },
    get finished() {
      return finished;
    },
  };
}

/**
 * Two actions that each wait, once inside, until the other is inside too: both finish only if they run at the
 * same time (a latch, not a timing). If they were serialised, the first gives up after a few seconds with an error.
 */
export function meetingPair(): [() => Promise<void>, () => Promise<void>] {
  const arrived = [Promise.withResolvers<void>(), Promise.withResolvers<void>()] as const;
  const meet = (me: 0 | 1) => async () => {
    arrived[me].resolve();
    await within(arrived[me === 0 ? 1 : 0].promise, 3_000, "the other lock's action never came in: different names were serialised");
  };
  return [meet(0), meet(1)];
}

export function databaseConformance(name: string, open: () => Promise<DatabaseHandle>): void {
  describe(`${name}: database conformance`, () => {
    const handles: DatabaseHandle[] = [];
    afterEach(async () => {
      for (const handle of handles.splice(0)) await handle.close();
    });

    /** An empty database, not migrated. */
    async function fresh(): Promise<DatabaseHandle> {
      const handle = await open();
      handles.push(handle);
      return handle;
    }

    async function migrated(): Promise<Database> {
      const handle = await fresh();
      await handle.migrate();
      return handle.db;
    }

    describe("migrations", () => {
      test("migrate() on an empty database applies every embedded migration; a second migrate() applies nothing", async () => {
        const handle = await fresh();
        const tags = embeddedMigrations(handle.db.engine).map((migration) => migration.tag);
        expect(tags.length).toBeGreaterThan(0);
        expect(await handle.isMigrated()).toBe(false);
        expect(await handle.migrate()).toEqual(tags);
        expect(await handle.isMigrated()).toBe(true);
        expect(await handle.migrate()).toEqual([]);
        // Every table of the schema is there (and empty).
        const tables = Object.values(handle.db.tables).filter((value) => is(value, Table));
        expect(tables.length).toBeGreaterThan(5);
        for (const table of tables) {
          expect(await handle.db.select({ rows: sql<number>`count(*)`.mapWith(Number) }).from(table as typeof handle.db.tables.users)).toEqual([{ rows: 0 }]);
        }
      });
    });

    describe("column types", () => {
      test("a users row comes back with the same JS types: booleans, nested JSON, epoch ms past 2^31, nulls", async () => {
        const db = await migrated();
        const { users } = db.tables;
        const now = Date.now();
        expect(now).toBeGreaterThan(2 ** 31);
        const row = {
          id: "u1",
          email: "u1@example.com",
          newEmail: null,
          username: "ünïcode 'quoted' \"name\"",
          displayName: "Ключ 🔑",
          avatarUrl: null,
          passwordHash: null,
          active: true,
          emailVerified: true,
          disabled: false,
          isAnonymous: false,
          defaultRole: "user",
          tier: 2,
          referrerId: null,
          metadata: {
            plan: { name: "pro", seats: 3, ratio: 0.5, tags: ["a", "b", 7], flags: { beta: true, legacy: false }, none: null },
            nested: [[1, 2], { deep: { deeper: "yes" } }],
            empty: {},
            text: "it's \"quoted\" \\ and ünïcode",
          },
          createdAt: now,
          updatedAt: now + 1,
        };
        const returned = await db.insert(users).values(row).returning();
        expect(returned).toStrictEqual([row]);
        const [read] = await db.select().from(users).where(eq(users.id, "u1"));
        expect(read).toStrictEqual(row);
        expect(typeof read!.createdAt).toBe("number");
        expect(typeof read!.tier).toBe("number");
        expect(typeof read!.active).toBe("boolean");
        expect(typeof read!.disabled).toBe("boolean");
        expect(typeof read!.metadata).toBe("object");
        // Stored as a JSON object, not as a JSON string holding one (drizzle-orm issue 4942 on Bun.SQL): the database
        // itself can look inside it. `->` and `->>` with a plain key mean the same on SQLite (3.38+) and PostgreSQL.
        const [inside] = await db.select({ name: sql<string>`${users.metadata} -> 'plan' ->> 'name'` }).from(users).where(eq(users.id, "u1"));
        expect(inside).toEqual({ name: "pro" });

        // Updates take the same paths back: JSON replaced whole, booleans flipped, a null set.
        const metadata = { changed: { list: [true, null, 1.25] } };
        await db.update(users).set({ metadata, active: false, disabled: true, displayName: null, updatedAt: Number.MAX_SAFE_INTEGER }).where(eq(users.id, "u1"));
        const [updated] = await db.select().from(users).where(eq(users.id, "u1"));
        expect(updated).toStrictEqual({ ...row, metadata, active: false, disabled: true, displayName: null, updatedAt: Number.MAX_SAFE_INTEGER });
      });

      test("column defaults: false booleans, {} metadata, 0 tier, created_at in epoch ms", async () => {
        const db = await migrated();
        const { users } = db.tables;
        const before = Date.now();
        await db.insert(users).values({ id: "d", defaultRole: "user", updatedAt: before });
        const [read] = await db.select().from(users).where(eq(users.id, "d"));
        expect(read).toMatchObject({ active: false, emailVerified: false, disabled: false, isAnonymous: false, tier: 0, metadata: {}, email: null });
        expect(typeof read!.createdAt).toBe("number");
        // Milliseconds (not seconds or microseconds) from the database's clock, so only roughly this process's.
        expect(Math.abs(read!.createdAt - before)).toBeLessThan(86_400_000);
      });

      test("the other tables: Number.MAX_SAFE_INTEGER expiries, JSON data, byte sizes past 2^32, nullable numbers", async () => {
        const db = await migrated();
        const { users, sessions, challenges, files } = db.tables;
        const now = Date.now();
        await db.insert(users).values(userRow("u1"));

        // An expiry that never comes (Number.MAX_SAFE_INTEGER) and nested JSON data.
        const code = { id: "c1", userId: "u1", purpose: "email-otp", secretHash: "h", code: null, email: null, data: { code: "12345678", nested: { n: 1 } }, attempts: 0, expiresAt: Number.MAX_SAFE_INTEGER, createdAt: now };
        await db.insert(challenges).values(code);
        expect(await db.select().from(challenges)).toStrictEqual([code]);

        const session = { id: "s1", userId: "u1", handle: "h", tokenHash: "t", carriedTokenHash: null, expiresAt: now + 30 * 86_400_000, createdAt: now, rotatedAt: null, revokedAt: now + 5, userAgent: null, ip: "::1" };
        await db.insert(sessions).values(session);
        expect(await db.select().from(sessions)).toStrictEqual([session]);

        const file = { key: "big/file.bin", size: 5 * 2 ** 30, contentType: "application/octet-stream", etag: "e", token: "k", ownerId: null, createdAt: now, updatedAt: now };
        await db.insert(files).values(file);
        expect(await db.select().from(files)).toStrictEqual([file]);
      });
    });

    describe("unique violations", () => {
      test("a second user with the same email (or username) is recognised by isUniqueViolation, naming that column only", async () => {
        const db = await migrated();
        const { users } = db.tables;
        await db.insert(users).values(userRow("u1", { username: "first" }));

        const byEmail = await db.insert(users).values(userRow("u2", { email: "u1@example.com", username: "second" })).catch((error: unknown) => error);
        expect(byEmail).toBeInstanceOf(Error);
        expect(isUniqueViolation(byEmail, "users", "email")).toBe(true);
        expect(isUniqueViolation(byEmail, "users", "username")).toBe(false);

        const byUsername = await db.insert(users).values(userRow("u3", { username: "first" })).catch((error: unknown) => error);
        expect(isUniqueViolation(byUsername, "users", "username")).toBe(true);
        expect(isUniqueViolation(byUsername, "users", "email")).toBe(false);

        expect(await userIds(db)).toEqual(["u1"]);
      });

      test("a unique violation inside a transaction rolls back what the transaction did before it", async () => {
        const db = await migrated();
        const { users } = db.tables;
        await db.insert(users).values(userRow("u1"));
        const error = await db
          .transaction(async (tx) => {
            await tx.insert(users).values(userRow("u2"));
            await tx.insert(users).values(userRow("u3", { email: "u1@example.com" }));
          })
          .catch((caught: unknown) => caught);
        expect(isUniqueViolation(error, "users", "email")).toBe(true);
        expect(await userIds(db)).toEqual(["u1"]);
        // And the database takes transactions again afterwards.
        await db.transaction(async (tx) => {
          await tx.insert(users).values(userRow("u4"));
        });
        expect(await userIds(db)).toEqual(["u1", "u4"]);
      });
    });

    describe("transactions", () => {
      test("commits when the body resolves, and returns its value", async () => {
        const db = await migrated();
        const { users } = db.tables;
        const result = await db.transaction(async (tx) => {
          await tx.insert(users).values(userRow("a"));
          await tx.insert(users).values(userRow("b"));
          // The transaction sees its own writes.
          const seen = await tx.select({ id: users.id }).from(users);
          return seen.map((row) => row.id).sort();
        });
        expect(result).toEqual(["a", "b"]);
        expect(await userIds(db)).toEqual(["a", "b"]);
      });

      test("rolls back everything when the body throws; the error comes out unchanged", async () => {
        const db = await migrated();
        const { users } = db.tables;
        await db.insert(users).values(userRow("kept", { displayName: "before" }));
        await db.insert(users).values(userRow("gone-then-back"));
        class BodyFailed extends Error {}
        const failure = new BodyFailed("the body failed");
        const caught = await db
          .transaction(async (tx) => {
            await tx.insert(users).values(userRow("new"));
            await tx.update(users).set({ displayName: "after" }).where(eq(users.id, "kept"));
            await tx.delete(users).where(eq(users.id, "gone-then-back"));
            throw failure;
          })
          .catch((error: unknown) => error);
        expect(caught).toBe(failure);
        expect(await userIds(db)).toEqual(["gone-then-back", "kept"]);
        const [kept] = await db.select().from(users).where(eq(users.id, "kept"));
        expect(kept!.displayName).toBe("before");
      });

      test("a statement through db while a transaction is open neither sees its uncommitted rows nor rolls back with it", async () => {
        const db = await migrated();
        const { users } = db.tables;
        let outsideInsert!: Promise<void>;
        let outsideRead!: Promise<string[]>;
        let outsideInsertDone = false;
        const failure = new Error("roll back");
        const caught = await db
          .transaction(async (tx) => {
            await tx.insert(users).values(userRow("inside"));
            // Started from inside the body, but through `db`: not part of the transaction.
            outsideInsert = db
              .insert(users)
              .values(userRow("outside"))
              .then(() => {
                outsideInsertDone = true;
              });
            if (db.engine === "postgres") {
              // Another connection: it runs now, commits on its own, and reads only committed rows.
              await outsideInsert;
              outsideRead = userIds(db);
              expect(await outsideRead).toEqual(["outside"]);
            } else {
              // One connection: outside statements wait at the gate until the transaction ends.
              outsideRead = userIds(db);
              await tx.select().from(users);
              await Bun.sleep(5);
              expect(outsideInsertDone).toBe(false);
            }
            throw failure;
          })
          .catch((error: unknown) => error);
        expect(caught).toBe(failure);
        await outsideInsert;
        expect(outsideInsertDone).toBe(true);
        expect(await outsideRead).not.toContain("inside");
        expect(await userIds(db)).toEqual(["outside"]);
      });

      test("a read through db during a transaction that commits sees the state before it or after it, never half of it", async () => {
        const db = await migrated();
        const { users } = db.tables;
        let outsideRead!: Promise<string[]>;
        await db.transaction(async (tx) => {
          await tx.insert(users).values(userRow("a"));
          outsideRead = userIds(db);
          if (db.engine === "postgres") expect(await outsideRead).toEqual([]);
          await tx.insert(users).values(userRow("b"));
        });
        // SQLite: the read waited for the commit and sees both rows; PostgreSQL: it ran before the commit.
        expect(await outsideRead).toEqual(db.engine === "postgres" ? [] : ["a", "b"]);
        expect(await userIds(db)).toEqual(["a", "b"]);
      });

      test("concurrent transactions each commit or roll back on their own", async () => {
        const db = await migrated();
        const { users } = db.tables;
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, index) =>
            db.transaction(async (tx) => {
              await tx.insert(users).values(userRow(`t${index}`));
              await Bun.sleep(1);
              await tx.insert(users).values(userRow(`t${index}-second`));
              if (index % 2 === 1) throw new Error(`odd ${index}`);
              return index;
            }),
          ),
        );
        expect(results.map((result) => result.status)).toEqual(Array.from({ length: 8 }, (_, index) => (index % 2 === 1 ? "rejected" : "fulfilled")));
        expect(await userIds(db)).toEqual(["t0", "t0-second", "t2", "t2-second", "t4", "t4-second", "t6", "t6-second"]);
      });
    });

    describe("atomic statements", () => {
      test("20 concurrent conditional UPDATE ... RETURNING claims of one row: exactly one gets it (refresh rotation)", async () => {
        const db = await migrated();
        const { users, sessions } = db.tables;
        const now = Date.now();
        await db.insert(users).values(userRow("u1"));
        await db.insert(sessions).values({ id: "s1", userId: "u1", handle: "h1", tokenHash: "t1", expiresAt: now + 60_000, createdAt: now });
        // As core/sessions/sessions.ts rotates a refresh token in place: a prepared statement, one per concurrent request,
        // each with its own successor.
        const claim = db
          .update(sessions)
          .set({ tokenHash: sql`${sql.placeholder("newTokenHash")}`, rotatedAt: sql`${sql.placeholder("now")}` })
          .where(and(eq(sessions.handle, sql.placeholder("handle")), eq(sessions.tokenHash, sql.placeholder("tokenHash"))))
          .returning()
          .prepare();
        const claims = await Promise.all(
          Array.from({ length: 20 }, (_, index) => claim.execute({ handle: "h1", tokenHash: "t1", newTokenHash: `t1-${index}`, now: now + index })),
        );
        const winners = claims.filter((rows) => rows.length > 0);
        expect(winners).toHaveLength(1);
        expect(winners[0]).toHaveLength(1);
        const [stored] = await db.select().from(sessions).where(eq(sessions.id, "s1"));
        expect(stored!.tokenHash).toBe(winners[0]![0]!.tokenHash);
        expect(stored!.rotatedAt).toBe(winners[0]![0]!.rotatedAt);
        expect(typeof stored!.rotatedAt).toBe("number");

        // Unprepared, the same: 20 claimers of a second row.
        await db.insert(sessions).values({ id: "s2", userId: "u1", handle: "h2", tokenHash: "t2", expiresAt: now + 60_000, createdAt: now });
        const again = await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            db
              .update(sessions)
              .set({ tokenHash: `t2-${index}`, rotatedAt: now + index })
              .where(and(eq(sessions.id, "s2"), eq(sessions.tokenHash, "t2")))
              .returning({ id: sessions.id }),
          ),
        );
        expect(again.filter((rows) => rows.length > 0)).toEqual([[{ id: "s2" }]]);
      });

      test("rateLimits.hit: 30 concurrent hits count 1..30; once the window expired, a new one starts at 1", async () => {
        const counters = createRateLimitsRepository(await migrated());
        const key = "guess:ip:192.0.2.1";
        const now = Date.now();
        const window = { now, expiredAt: now - 60_000 };

        const counts = await Promise.all(Array.from({ length: 30 }, () => counters.hit(key, window)));
        expect(counts.toSorted((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
        for (const count of counts) expect(typeof count).toBe("number");
        expect(await counters.counter(key)).toStrictEqual({ count: 30, windowStart: now });

        // A window that started at `expiredAt` has passed (the bound is inclusive); one after it has not.
        const later = now + 60_000;
        expect(await counters.hit(key, { now: later, expiredAt: now })).toBe(1);
        expect(await counters.hit(key, { now: later + 1, expiredAt: now })).toBe(2);
        expect(await counters.counter(key)).toStrictEqual({ count: 2, windowStart: later });
      });

      test("rateLimits.refund stops at 0 and makes no counter; rateLimits.remove deletes one; counter is null for no key", async () => {
        const counters = createRateLimitsRepository(await migrated());
        const now = Date.now();
        const window = { now, expiredAt: now - 60_000 };
        expect(await counters.hit("login-failure:user:u1", window)).toBe(1);
        expect(await counters.hit("guess:ip:192.0.2.1", window)).toBe(1);
        for (let refund = 0; refund < 3; refund++) await counters.refund("login-failure:user:u1");
        expect(await counters.counter("login-failure:user:u1")).toStrictEqual({ count: 0, windowStart: now });
        expect(await counters.hit("login-failure:user:u1", window)).toBe(1);

        await counters.refund("never-hit");
        expect(await counters.counter("never-hit")).toBeNull();
        await counters.remove("guess:ip:192.0.2.1");
        await counters.remove("never-hit");
        expect(await counters.counter("guess:ip:192.0.2.1")).toBeNull();
        expect(await counters.counter("login-failure:user:u1")).toStrictEqual({ count: 1, windowStart: now });
      });
    });

    secondFactorRepositoryConformance(migrated);
    challengesRepositoryConformance(migrated);
    mailQueueRepositoryConformance(migrated);
    upkeepRepositoryConformance(migrated);
    filesRepositoryConformance(migrated);
    accountRepositoryConformance(migrated);
    passkeysRepositoryConformance(migrated);

    describe("withLock", () => {
      test("actions under one name never overlap, and all of them run", async () => {
        const db = await migrated();
        const recorder = overlapRecorder();
        const results = await Promise.all(Array.from({ length: 10 }, (_, index) => db.withLock("files:a/b.txt", async () => (await recorder.action(), index))));
        expect(results).toEqual(Array.from({ length: 10 }, (_, index) => index));
        expect(recorder.finished).toBe(10);
        expect(recorder.most).toBe(1);
      });

      test("actions under different names run at the same time", async () => {
        const db = await migrated();
        const [first, second] = meetingPair();
        await Promise.all([db.withLock("files:one", first), db.withLock("files:two", second)]);
      });

      test("a throwing action releases the lock and its error comes out unchanged", async () => {
        const db = await migrated();
        const failure = new Error("action failed");
        const caught = await db
          .withLock("files:x", async () => {
            throw failure;
          })
          .catch((error: unknown) => error);
        expect(caught).toBe(failure);
        expect(await within(db.withLock("files:x", async () => "next"), 3_000, "the lock was not released")).toBe("next");
      });

      test("the action's queries run while the lock is held (the lock does not take their connection)", async () => {
        const db = await migrated();
        const { users } = db.tables;
        const inserted = await Promise.all(
          Array.from({ length: 6 }, (_, index) =>
            db.withLock(`rows:${index % 2}`, async () => {
              await db.insert(users).values(userRow(`u${index}`));
              return (await db.select({ id: users.id }).from(users).where(eq(users.id, `u${index}`))).length;
            }),
          ),
        );
        expect(inserted).toEqual([1, 1, 1, 1, 1, 1]);
      });
    });

    describe("prepared statements", () => {
      test("prepared selects, inserts ... returning and deletes with placeholders return arrays", async () => {
        const db = await migrated();
        const { users } = db.tables;
        const insert = db
          .insert(users)
          .values({ id: sql.placeholder("id"), email: sql.placeholder("email"), defaultRole: "user", updatedAt: sql.placeholder("updatedAt") })
          .returning({ id: users.id, updatedAt: users.updatedAt })
          .prepare();
        const byId = db.select().from(users).where(eq(users.id, sql.placeholder("id"))).prepare();
        const remove = db.delete(users).where(eq(users.id, sql.placeholder("id"))).returning({ id: users.id }).prepare();

        const now = Date.now();
        expect(await insert.execute({ id: "p1", email: "p1@example.com", updatedAt: now })).toStrictEqual([{ id: "p1", updatedAt: now }]);
        expect(await insert.execute({ id: "p2", email: null, updatedAt: now + 1 })).toStrictEqual([{ id: "p2", updatedAt: now + 1 }]);

        const found = await byId.execute({ id: "p1" });
        expect(Array.isArray(found)).toBe(true);
        expect(found).toHaveLength(1);
        expect(found[0]).toMatchObject({ id: "p1", email: "p1@example.com", active: false, updatedAt: now, metadata: {} });
        const missing = await byId.execute({ id: "nobody" });
        expect(Array.isArray(missing)).toBe(true);
        expect(missing).toEqual([]);
        // The same prepared statement again with other values (drivers that cache compiled statements).
        expect((await byId.execute({ id: "p2" }))[0]).toMatchObject({ id: "p2", email: null });

        expect(await remove.execute({ id: "p1" })).toEqual([{ id: "p1" }]);
        expect(await remove.execute({ id: "p1" })).toEqual([]);
        expect(await userIds(db)).toEqual(["p2"]);
      });

      test("prepared statements work inside a transaction through tx", async () => {
        const db = await migrated();
        const { users } = db.tables;
        await db.insert(users).values(userRow("u1"));
        const count = await db.transaction(async (tx) => {
          const byId = tx.select({ id: users.id }).from(users).where(eq(users.id, sql.placeholder("id"))).prepare();
          await tx.insert(users).values(userRow("u2"));
          return (await byId.execute({ id: "u1" })).length + (await byId.execute({ id: "u2" })).length;
        });
        expect(count).toBe(2);
      });
    });

    describe("lookups", () => {
      test("a lookup gives what the same prepared select gives: the row with its types (booleans, JSON, nulls, mapWith), or null", async () => {
        const db = await migrated();
        const { users, userRoles } = db.tables;
        const now = Date.now();
        await db.insert(users).values(
          userRow("u1", { active: true, disabled: false, metadata: { plan: { seats: 3, tags: ["a", null] } }, displayName: "Ключ 🔑", createdAt: now, updatedAt: now + 1 }),
        );
        await db.insert(userRoles).values([{ userId: "u1", role: "user" }, { userId: "u1", role: "editor" }]);
        const roles = sql<string>`(SELECT count(*) FROM ${userRoles} WHERE ${userRoles.userId} = ${users.id})`.mapWith((count) => `${count} roles`);
        const select = () => db.select({ ...getTableColumns(users), roles, lower: sql<string>`lower(${users.email})`.as("lower") }).from(users);
        const byId = db.lookup(select().where(eq(users.id, sql.placeholder("key"))));
        const byEmail = db.lookup(select().where(eq(users.email, sql.placeholder("key"))));

        const [expected] = await select().where(eq(users.id, sql.placeholder("id"))).prepare().execute({ id: "u1" });
        expect(expected).toMatchObject({ active: true, disabled: false, roles: "2 roles", lower: "u1@example.com", newEmail: null });
        expect(await byId("u1")).toStrictEqual(expected!);
        expect(await byEmail("u1@example.com")).toStrictEqual(expected!);
        // The same compiled lookup with other keys: a miss, then a row written after it was compiled.
        expect(await byId("nobody")).toBeNull();
        await db.update(users).set({ active: false, metadata: {} }).where(eq(users.id, "u1"));
        expect(await byId("u1")).toMatchObject({ active: false, metadata: {} });
      });

      test("a lookup made while a transaction is open never sees its uncommitted writes", async () => {
        const db = await migrated();
        const { users } = db.tables;
        await db.insert(users).values(userRow("u1", { displayName: "before" }));
        const byId = db.lookup(db.select().from(users).where(eq(users.id, sql.placeholder("key"))));
        const written = Promise.withResolvers<void>();
        const finish = Promise.withResolvers<void>();
        class RolledBack extends Error {}
        const transaction = db.transaction(async (tx) => {
          await tx.update(users).set({ displayName: "after" }).where(eq(users.id, "u1"));
          written.resolve();
          await finish.promise;
          throw new RolledBack();
        });
        await written.promise;
        // SQLite has one connection, whose statements would join the open transaction: the lookup waits for it to
        // end. PostgreSQL reads the last commit.
        const read = byId("u1");
        finish.resolve();
        await expect(transaction).rejects.toBeInstanceOf(RolledBack);
        expect((await read)!.displayName).toBe("before");
      });

      test("a lookup that fails answers with a rejected promise, never a throw", async () => {
        const db = await migrated();
        const { users } = db.tables;
        await db.insert(users).values(userRow("u1"));
        const failing = sql<number>`1`.mapWith(() => {
          throw new Error("the decoder failed");
        });
        const byId = db.lookup(db.select({ id: users.id, failing }).from(users).where(eq(users.id, sql.placeholder("key"))));
        let thrown: unknown = null;
        let answer: Promise<unknown> | null = null;
        try {
          answer = byId("u1");
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeNull();
        await expect(answer!).rejects.toThrow("the decoder failed");
        // The lookup, and the database, go on working.
        expect(await byId("nobody")).toBeNull();
        expect(await db.select({ id: users.id }).from(users)).toEqual([{ id: "u1" }]);
      });

      test("a lookup whose query takes anything but the one key placeholder is refused when compiled", async () => {
        const db = await migrated();
        const { users } = db.tables;
        expect(() => db.lookup(db.select().from(users).where(eq(users.id, "u1")) as never)).toThrow(/sql.placeholder\("key"\)/);
        expect(() => db.lookup(db.select().from(users).where(eq(users.id, sql.placeholder("id"))) as never)).toThrow(/sql.placeholder\("key"\)/);
      });
    });

    describe("transaction statements", () => {
      test("one gives what its prepared statement gives, in each transaction it is run in, and rolls back with it", async () => {
        const db = await migrated();
        const { users } = db.tables;
        await db.insert(users).values([userRow("u1", { displayName: "one", active: false }), userRow("u2", { displayName: "two", active: true })]);
        const build = (tx: Parameters<Parameters<Database["transaction"]>[0]>[0]) =>
          tx
            .update(users)
            .set({ displayName: sql`${sql.placeholder("name")}` })
            // A placeholder compared with a column is encoded as the column's values are (a boolean: 0/1 on SQLite).
            .where(and(eq(users.id, sql.placeholder("id")), eq(users.active, sql.placeholder("active"))))
            .returning({ id: users.id, displayName: users.displayName, active: users.active, metadata: users.metadata })
            .prepare();
        const rename = db.transactionStatement(build);

        const answers = await db.transaction(async (tx) => {
          const renamed = await rename(tx, { id: "u1", name: "uno", active: false });
          const missed = await rename(tx, { id: "u2", name: "x", active: false });
          const expected = await build(tx).execute({ id: "u2", name: "dos", active: true });
          return { renamed, missed, expected };
        });
        // Row shapes and types as drizzle's prepared statement gives them (booleans decoded, JSON parsed).
        expect(answers.renamed).toEqual([{ id: "u1", displayName: "uno", active: false, metadata: {} }]);
        expect(answers.expected).toEqual([{ id: "u2", displayName: "dos", active: true, metadata: {} }]);
        expect(answers.missed).toEqual([]);

        // Compiled once, it runs again in a later transaction; a throw rolls its write back with the transaction.
        class RolledBack extends Error {}
        await expect(
          db.transaction(async (tx) => {
            expect(await rename(tx, { id: "u1", name: "rolled back", active: false })).toHaveLength(1);
            throw new RolledBack();
          }),
        ).rejects.toBeInstanceOf(RolledBack);
        await db.transaction(async (tx) => rename(tx, { id: "u2", name: "again", active: true }));
        const rows = await db.select({ id: users.id, displayName: users.displayName }).from(users).orderBy(users.id);
        expect(rows).toEqual([{ id: "u1", displayName: "uno" }, { id: "u2", displayName: "again" }]);
      });

      test("a missing placeholder value is refused as drizzle refuses it", async () => {
        const db = await migrated();
        const { users } = db.tables;
        await db.insert(users).values(userRow("u1"));
        const rename = db.transactionStatement((tx) =>
          tx.update(users).set({ displayName: sql`${sql.placeholder("name")}` }).where(eq(users.id, sql.placeholder("id"))).returning({ id: users.id }).prepare(),
        );
        await expect(db.transaction(async (tx) => rename(tx, { id: "u1" }))).rejects.toThrow('No value for placeholder "name"');
      });
    });
  });
}
