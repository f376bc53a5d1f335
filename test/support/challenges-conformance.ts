// The challenges repository (src/db/repositories/challenges.ts) on each engine, by its methods: part of the database
// conformance suite (database-conformance.ts), which runs it on SQLite and PostgreSQL.
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import type { Database } from "../../src/db/client.ts";
import { createChallengesRepository, type NewChallenge } from "../../src/db/repositories/challenges.ts";
import { overlapRecorder, userRow } from "./database-conformance.ts";

/** The cases; `migrated` opens an empty, migrated database (closed by the suite after each case). */
export function challengesRepositoryConformance(migrated: () => Promise<Database>): void {
  async function withUsers(...ids: string[]): Promise<Database> {
    const db = await migrated();
    for (const id of ids) await db.insert(db.tables.users).values(userRow(id));
    return db;
  }

  const now = Date.now();
  const ticket = (id: string, overrides: Partial<NewChallenge> = {}): NewChallenge => ({
    id,
    userId: "u1",
    purpose: "reset-password",
    secretHash: `h:${id}`,
    code: null,
    email: null,
    data: {},
    expiresAt: now + 60_000,
    createdAt: now,
    ...overrides,
  });

  describe("challenges repository", () => {
    test("insert, byId, liveBySecret (peek): the challenge with its types; another purpose's or an expired one is not found", async () => {
      const db = await withUsers("u1");
      const challenges = createChallengesRepository(db);
      const stored = ticket("t1", { data: { newEmail: "new@example.com", nested: { n: 1 } } });
      await challenges.insert(stored);
      await challenges.insert(ticket("t2", { expiresAt: now - 1 }));
      await challenges.insert(ticket("r1", { purpose: "email-verification", secretHash: null, code: "ABCD2345", email: "a@example.com", expiresAt: Number.MAX_SAFE_INTEGER }));

      expect(await challenges.byId("reset-password", "t1")).toStrictEqual({ ...stored, attempts: 0 });
      expect(await challenges.byId("email-verification", "t1")).toBeNull();
      expect(await challenges.byId("email-verification", "r1")).toMatchObject({ code: "ABCD2345", email: "a@example.com", secretHash: null, expiresAt: Number.MAX_SAFE_INTEGER });
      expect(await challenges.liveBySecret("reset-password", "h:t1", now)).toStrictEqual({ ...stored, attempts: 0 });
      // Peeking leaves it there.
      expect(await challenges.liveBySecret("reset-password", "h:t1", now)).not.toBeNull();
      expect(await challenges.liveBySecret("change-email", "h:t1", now)).toBeNull();
      expect(await challenges.liveBySecret("reset-password", "h:t2", now)).toBeNull();
      expect(await challenges.liveBySecret("reset-password", "h:t1", now + 60_000)).toBeNull();
    });

    test("consumeBySecret: of 20 concurrent consumptions of one ticket exactly one gets it; never again; not once expired", async () => {
      const db = await withUsers("u1");
      const challenges = createChallengesRepository(db);
      await challenges.insert(ticket("t1", { data: { newEmail: "new@example.com" } }));
      await challenges.insert(ticket("t2", { expiresAt: now - 1 }));

      const consumed = await Promise.all(Array.from({ length: 20 }, () => challenges.consumeBySecret("reset-password", "h:t1", now)));
      const winners = consumed.filter((row) => row !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ id: "t1", userId: "u1", data: { newEmail: "new@example.com" } });
      expect(await challenges.consumeBySecret("reset-password", "h:t1", now)).toBeNull();
      expect(await challenges.consumeBySecret("reset-password", "h:t2", now)).toBeNull();
      expect(await challenges.byId("reset-password", "t2")).not.toBeNull();
    });

    test("removeOfUser, ofUser, remove, removeIds: only what they name", async () => {
      const db = await withUsers("u1", "u2");
      const challenges = createChallengesRepository(db);
      await challenges.insert(ticket("a"));
      await challenges.insert(ticket("b", { purpose: "magic-link" }));
      await challenges.insert(ticket("c", { userId: "u2" }));
      await challenges.insert(ticket("d", { purpose: "email-verification", secretHash: null, code: "X" }));
      await challenges.insert(ticket("e", { purpose: "email-verification", secretHash: null, code: "Y" }));

      await challenges.removeOfUser("u1", "reset-password");
      expect(await challenges.byId("reset-password", "a")).toBeNull();
      expect(await challenges.byId("magic-link", "b")).not.toBeNull();
      expect(await challenges.byId("reset-password", "c")).not.toBeNull();
      expect((await challenges.ofUser("u1", "email-verification")).map((row) => row.id).sort()).toEqual(["d", "e"]);

      expect(await challenges.remove("email-verification", "d", { userId: "u2" })).toBe(false);
      expect(await challenges.remove("magic-link", "d")).toBe(false);
      expect(await challenges.remove("email-verification", "d", { userId: "u1" })).toBe(true);
      expect(await challenges.remove("email-verification", "d")).toBe(false);
      await challenges.removeIds([]);
      await challenges.removeIds(["e", "b", "nothing"]);
      expect(await challenges.ofUser("u1", "email-verification")).toEqual([]);
      expect(await challenges.byId("magic-link", "b")).toBeNull();
    });

    test("countAttempt counts every try, also concurrent ones; update merges data and sets attempts", async () => {
      const db = await withUsers("u1");
      const challenges = createChallengesRepository(db);
      await challenges.insert(ticket("r1", { purpose: "password-reset-request", data: { emailVerified: false, twoFactorVerified: false } }));

      await Promise.all(Array.from({ length: 5 }, () => challenges.countAttempt("r1")));
      expect((await challenges.byId("password-reset-request", "r1"))!.attempts).toBe(5);
      await challenges.update("r1", { data: { emailVerified: true }, attempts: 0 });
      await challenges.update("r1", { data: { twoFactorVerified: true } });
      expect(await challenges.byId("password-reset-request", "r1")).toMatchObject({ attempts: 0, data: { emailVerified: true, twoFactorVerified: true } });
    });

    test("replaceDataBySecret: only a live ticket's", async () => {
      const db = await withUsers("u1");
      const challenges = createChallengesRepository(db);
      await challenges.insert(ticket("t1", { purpose: "email-otp", data: { email: "a@example.com" } }));
      await challenges.insert(ticket("t2", { purpose: "email-otp", expiresAt: now - 1 }));
      expect(await challenges.replaceDataBySecret("email-otp", "h:t1", { email: "a@example.com", codeHash: "x" }, now)).toBe(true);
      expect(await challenges.replaceDataBySecret("email-otp", "h:t2", { codeHash: "y" }, now)).toBe(false);
      expect(await challenges.replaceDataBySecret("email-otp", "h:nothing", { codeHash: "y" }, now)).toBe(false);
      expect((await challenges.liveBySecret("email-otp", "h:t1", now))!.data).toEqual({ email: "a@example.com", codeHash: "x" });
    });

    test("exclusively: tries at one challenge never overlap", async () => {
      const db = await withUsers("u1");
      const challenges = createChallengesRepository(db);
      const recorder = overlapRecorder();
      await Promise.all(Array.from({ length: 6 }, () => challenges.exclusively("r1", recorder.action)));
      expect(recorder.finished).toBe(6);
      expect(recorder.most).toBe(1);
    });

    test("claimForAddress: once; the address becomes the user's, verified; the requests it ends go; others stay", async () => {
      const db = await withUsers("u1", "u2");
      const challenges = createChallengesRepository(db);
      const request = (id: string, overrides: Partial<NewChallenge> = {}) =>
        ticket(id, { purpose: "email-verification", secretHash: null, code: "C", email: "new@example.com", ...overrides });
      await challenges.insert(request("v1"));
      await challenges.insert(request("v2", { userId: "u2" }));
      await challenges.insert(request("v3", { email: "other@example.com" }));
      await challenges.insert(ticket("p1", { purpose: "password-reset-request" }));
      await challenges.insert(ticket("p2", { purpose: "password-reset-request", userId: "u2" }));
      await challenges.insert(ticket("t1"));

      const claim = { id: "v1", userId: "u1", email: "new@example.com", active: true, now, endsForUser: ["password-reset-request"] };
      const claims = await Promise.all([challenges.claimForAddress(claim), challenges.claimForAddress(claim)]);
      expect(claims.toSorted()).toEqual([false, true]);
      const [user] = await db.select().from(db.tables.users).where(eq(db.tables.users.id, "u1"));
      expect(user).toMatchObject({ email: "new@example.com", emailVerified: true, active: true, updatedAt: now });
      const left = (await db.select({ id: db.tables.challenges.id }).from(db.tables.challenges)).map((row) => row.id).sort();
      expect(left).toEqual(["p2", "t1", "v3"]);
    });

    test("claimForAddress: another account has the address: nothing changes", async () => {
      const db = await migrated();
      await db.insert(db.tables.users).values(userRow("u1"));
      await db.insert(db.tables.users).values(userRow("u2", { email: "taken@example.com" }));
      const challenges = createChallengesRepository(db);
      await challenges.insert(ticket("v1", { purpose: "email-verification", secretHash: null, code: "C", email: "taken@example.com" }));
      const claim = { id: "v1", userId: "u1", email: "taken@example.com", active: true, now, endsForUser: [] };
      await expect(challenges.claimForAddress(claim)).rejects.toThrow();
      expect(await challenges.byId("email-verification", "v1")).not.toBeNull();
    });

    test("claimForPassword: once; the user's requests of the purpose go, the password is set", async () => {
      const db = await withUsers("u1", "u2");
      const challenges = createChallengesRepository(db);
      await challenges.insert(ticket("p1", { purpose: "password-reset-request" }));
      await challenges.insert(ticket("p2", { purpose: "password-reset-request" }));
      await challenges.insert(ticket("p3", { purpose: "password-reset-request", userId: "u2" }));
      const claim = { id: "p1", userId: "u1", purpose: "password-reset-request", passwordHash: "$argon2id$new", active: false, now };
      const claims = await Promise.all([challenges.claimForPassword(claim), challenges.claimForPassword(claim)]);
      expect(claims.toSorted()).toEqual([false, true]);
      const [user] = await db.select().from(db.tables.users).where(eq(db.tables.users.id, "u1"));
      expect(user).toMatchObject({ passwordHash: "$argon2id$new", emailVerified: true });
      const left = (await db.select({ id: db.tables.challenges.id }).from(db.tables.challenges)).map((row) => row.id);
      expect(left).toEqual(["p3"]);
    });
  });
}
