// The repositories behind start-up and housekeeping (src/db/repositories/generated-secrets.ts, housekeeping.ts) on
// each engine, by their methods: part of the database conformance suite (database-conformance.ts), which runs it on
// SQLite and PostgreSQL.
import { describe, expect, test } from "bun:test";
import { and, gte, lt } from "drizzle-orm";
import type { Database } from "../../src/db/client.ts";
import { createGeneratedSecretsRepository } from "../../src/db/repositories/generated-secrets.ts";
import { createHousekeepingRepository } from "../../src/db/repositories/housekeeping.ts";
import { userRow } from "./database-conformance.ts";

/** The cases; `migrated` opens an empty, migrated database (closed by the suite after each case). */
export function upkeepRepositoryConformance(migrated: () => Promise<Database>): void {
  describe("generated secrets repository", () => {
    test("insertFirst keeps the first value: a later insert, and 10 at the same moment, change nothing", async () => {
      const secrets = createGeneratedSecretsRepository(await migrated());
      expect(await secrets.value("cookie")).toBeNull();
      const inserted = await Promise.all(Array.from({ length: 10 }, (_, index) => secrets.insertFirst("cookie", `value-${index}`)));
      expect(inserted.filter(Boolean)).toHaveLength(1);
      const winner = `value-${inserted.indexOf(true)}`;
      expect(await secrets.value("cookie")).toBe(winner);
      expect(await secrets.insertFirst("cookie", "later")).toBe(false);
      expect(await secrets.value("cookie")).toBe(winner);
      expect(await secrets.insertFirst("jwt-hmac", "other")).toBe(true);
      expect(await secrets.value("jwt-hmac")).toBe("other");
    });
  });

  describe("housekeeping repository", () => {
    test("deleteSessionsExpiredBefore deletes only sessions expired before the time, revoked or not", async () => {
      const db = await migrated();
      const { sessions, users } = db.tables;
      const now = Date.now();
      await db.insert(users).values(userRow("u1"));
      const session = (id: string, expiresAt: number) => ({ id, userId: "u1", handle: id, tokenHash: `t-${id}`, expiresAt, createdAt: now - 100 });
      await db.insert(sessions).values([session("gone", now - 1), { ...session("revoked", now - 1), revokedAt: now - 50 }, session("now", now), session("live", now + 1)]);
      expect(await createHousekeepingRepository(db).deleteSessionsExpiredBefore(now)).toBe(2);
      expect((await db.select({ id: sessions.id }).from(sessions)).map((row) => row.id).toSorted()).toEqual(["live", "now"]);
    });

    test("deleteChallengesExpiredBefore deletes only the tickets and requests expired before the time", async () => {
      const db = await migrated();
      const { challenges, users } = db.tables;
      const now = Date.now();
      await db.insert(users).values(userRow("u1"));
      await db.insert(challenges).values([
        { id: "c-gone", userId: "u1", purpose: "reset-password", secretHash: "h1", expiresAt: now - 1 },
        { id: "c-live", userId: "u1", purpose: "reset-password", secretHash: "h2", expiresAt: now },
        { id: "v-gone", userId: "u1", purpose: "email-verification", email: "u1@example.com", code: "12345678", expiresAt: now - 1 },
        { id: "v-live", userId: "u1", purpose: "email-verification", email: "u1@example.com", code: "12345679", expiresAt: now + 1 },
        { id: "r-gone", userId: "u1", purpose: "password-reset-request", secretHash: "x", expiresAt: now - 1 },
        { id: "r-live", userId: "u1", purpose: "password-reset-request", secretHash: "y", expiresAt: now + 1 },
      ]);
      expect(await createHousekeepingRepository(db).deleteChallengesExpiredBefore(now)).toBe(3);
      const ids = await db.select({ id: challenges.id }).from(challenges);
      expect(ids.map((row) => row.id).toSorted()).toEqual(["c-live", "r-live", "v-live"]);
    });

    test("deleteRateLimitsStartedBefore and deleteDoneMailsQueuedBefore delete only what is older, and mails only when done", async () => {
      const db = await migrated();
      const { mailQueue, rateLimits } = db.tables;
      const now = Date.now();
      await db.insert(rateLimits).values([
        { key: "old", count: 3, windowStart: now - 1 },
        { key: "current", count: 3, windowStart: now },
      ]);
      const queued = (id: string, createdAt: number, nextAttemptAt: number | null) => ({ id, recipient: "a@example.com", template: "email-otp", createdAt, nextAttemptAt });
      await db.insert(mailQueue).values([queued("old-done", now - 1, null), queued("old-waiting", now - 1, now + 60_000), queued("new-done", now, null)]);
      const rows = createHousekeepingRepository(db);
      expect(await rows.deleteRateLimitsStartedBefore(now)).toBe(1);
      expect(await rows.deleteDoneMailsQueuedBefore(now)).toBe(1);
      expect((await db.select({ key: rateLimits.key }).from(rateLimits)).map((row) => row.key)).toEqual(["current"]);
      expect((await db.select({ id: mailQueue.id }).from(mailQueue)).map((row) => row.id).toSorted()).toEqual(["new-done", "old-waiting"]);
    });

    test("deleteConsoleSessionsOver deletes console sessions past their end or idle too long; deleteSecurityEventsBefore only older events", async () => {
      const db = await migrated();
      const { consoleSessions, securityEvents, users } = db.tables;
      const now = Date.now();
      await db.insert(users).values(userRow("u1"));
      const session = (id: string, lastSeenAt: number, expiresAt: number) => ({ id, userId: "u1", tokenHash: `t-${id}`, secondFactor: "none", lastSeenAt, expiresAt, createdAt: now - 1000 });
      await db.insert(consoleSessions).values([
        session("ended", now, now),
        session("idle", now - 1000, now + 60_000),
        session("live", now - 999, now + 1),
      ]);
      const event = (id: string, at: number) => ({ id, at, event: "sign_in_failed", ip: "203.0.113.1", account: "email:a@example.com", reason: "invalid_credentials" });
      await db.insert(securityEvents).values([event("old", now - 1), event("kept", now)]);
      const rows = createHousekeepingRepository(db);
      expect(await rows.deleteConsoleSessionsOver(now, now - 1000)).toBe(2);
      expect(await rows.deleteSecurityEventsBefore(now)).toBe(1);
      expect((await db.select({ id: consoleSessions.id }).from(consoleSessions)).map((row) => row.id)).toEqual(["live"]);
      expect((await db.select({ id: securityEvents.id }).from(securityEvents)).map((row) => row.id)).toEqual(["kept"]);
    });

    test("the audit log refuses UPDATE and DELETE (append-only), and housekeeping has no method for it", async () => {
      const db = await migrated();
      const { auditLog } = db.tables;
      await db.insert(auditLog).values({ id: "a1", at: Date.now(), adminId: null, adminEmail: "x@example.com", action: "sign_in_failed", target: null, details: {}, ip: null });
      // drizzle wraps the engine's refusal ("Failed query: ..."), which is its cause.
      const refusal = async (statement: () => Promise<unknown>): Promise<string> => {
        try {
          await statement();
          return "not refused";
        } catch (error) {
          return String((error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : error);
        }
      };
      expect(await refusal(async () => await db.delete(auditLog))).toContain("append-only");
      expect(await refusal(async () => await db.update(auditLog).set({ action: "changed" }))).toContain("append-only");
      expect(await db.select({ id: auditLog.id, action: auditLog.action }).from(auditLog)).toEqual([{ id: "a1", action: "sign_in_failed" }]);
      expect(Object.keys(createHousekeepingRepository(db)).filter((name) => /audit/i.test(name))).toEqual([]);
    });

    test("a purge of many rows in many slices deletes every dead row and no live one, across gaps in the table", async () => {
      // On SQLite the deletes walk the table in slices of its rowid range (src/db/repositories/housekeeping.ts);
      // a slice target of 0 ms keeps the slices at their smallest (16 rows), so 3,000 rows take ~190 of them.
      const db = await migrated();
      const { rateLimits } = db.tables;
      const now = Date.now();
      const rows = Array.from({ length: 3000 }, (_, n) => ({ key: `k-${String(n).padStart(4, "0")}`, count: 1, windowStart: n % 3 === 0 ? now - 1 : now }));
      for (let from = 0; from < rows.length; from += 500) await db.insert(rateLimits).values(rows.slice(from, from + 500));
      // Gaps in the rowid range: a run of rows deleted before the purge.
      await db.delete(rateLimits).where(and(gte(rateLimits.key, "k-1000"), lt(rateLimits.key, "k-1500")));
      const expired = rows.filter((row, n) => row.windowStart < now && (n < 1000 || n >= 1500)).length;
      expect(await createHousekeepingRepository(db, { sliceTargetMs: 0 }).deleteRateLimitsStartedBefore(now)).toBe(expired);
      const left = await db.select({ key: rateLimits.key, windowStart: rateLimits.windowStart }).from(rateLimits);
      expect(left.length).toBe(2500 - expired);
      expect(left.every((row) => row.windowStart === now)).toBe(true);
    });
  });
}
