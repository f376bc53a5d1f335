// The second-factor repositories (src/db/repositories/totp.ts, recovery-codes.ts) on each engine, by their methods:
// part of the database conformance suite (database-conformance.ts), which runs it on SQLite and PostgreSQL.
import { describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/client.ts";
import { createTotpRepository } from "../../src/db/repositories/totp.ts";
import { userRow } from "./database-conformance.ts";

/** The cases; `migrated` opens an empty, migrated database (closed by the suite after each case). */
export function secondFactorRepositoryConformance(migrated: () => Promise<Database>): void {
  /** A migrated database with users `ids`. */
  async function withUsers(...ids: string[]): Promise<Database> {
    const db = await migrated();
    for (const id of ids) await db.insert(db.tables.users).values(userRow(id));
    return db;
  }

  describe("totp repository", () => {
    test("savePending, enable, saveEnabled, ofUser: the credential with its types; a pending secret keeps createdAt and forgets the step", async () => {
      const db = await withUsers("u1", "u2");
      const totp = createTotpRepository(db);
      const now = Date.now();
      const step = Math.floor(now / 30_000);
      expect(await totp.ofUser("u1")).toBeNull();

      await totp.savePending({ userId: "u1", secret: "JBSWY3DPEHPK3PXP", createdAt: now });
      expect(await totp.ofUser("u1")).toStrictEqual({ userId: "u1", secret: "JBSWY3DPEHPK3PXP", enabled: false, lastUsedStep: null, createdAt: now });
      await totp.enable("u1");
      expect(await totp.claimStep("u1", step)).toBe(true);
      expect(await totp.ofUser("u1")).toStrictEqual({ userId: "u1", secret: "JBSWY3DPEHPK3PXP", enabled: true, lastUsedStep: step, createdAt: now });

      // A new pending secret replaces the credential: not in force, no step used, made when the first one was.
      await totp.savePending({ userId: "u1", secret: "KRSXG5CTMVRXEZLU", createdAt: now + 5 });
      expect(await totp.ofUser("u1")).toStrictEqual({ userId: "u1", secret: "KRSXG5CTMVRXEZLU", enabled: false, lastUsedStep: null, createdAt: now });

      // saveEnabled replaces all of it, or makes it.
      await totp.saveEnabled({ userId: "u1", secret: "GEZDGNBVGY3TQOJQ", lastUsedStep: step, createdAt: now + 10 });
      expect(await totp.ofUser("u1")).toStrictEqual({ userId: "u1", secret: "GEZDGNBVGY3TQOJQ", enabled: true, lastUsedStep: step, createdAt: now + 10 });
      await totp.saveEnabled({ userId: "u2", secret: "JBSWY3DPEHPK3PXP", lastUsedStep: step - 1, createdAt: now });
      expect(await totp.ofUser("u2")).toMatchObject({ enabled: true, lastUsedStep: step - 1 });
    });

    test("enabledAmong: only enabled credentials of the users asked about; remove: true once", async () => {
      const db = await withUsers("u1", "u2", "u3", "u4");
      const totp = createTotpRepository(db);
      const now = Date.now();
      await totp.saveEnabled({ userId: "u1", secret: "JBSWY3DPEHPK3PXP", lastUsedStep: 1, createdAt: now });
      await totp.saveEnabled({ userId: "u2", secret: "JBSWY3DPEHPK3PXP", lastUsedStep: 1, createdAt: now });
      await totp.savePending({ userId: "u3", secret: "JBSWY3DPEHPK3PXP", createdAt: now });

      expect(await totp.enabledAmong(["u1", "u3", "u4", "nobody"])).toEqual(new Set(["u1"]));
      expect(await totp.enabledAmong(["u1", "u2", "u3"])).toEqual(new Set(["u1", "u2"]));
      expect(await totp.enabledAmong([])).toEqual(new Set());

      expect(await totp.remove("u1")).toBe(true);
      expect(await totp.remove("u1")).toBe(false);
      expect(await totp.remove("u4")).toBe(false);
      expect(await totp.ofUser("u1")).toBeNull();
      expect(await totp.enabledAmong(["u1", "u2"])).toEqual(new Set(["u2"]));
    });

    test("claimStep: of 20 concurrent claims of one step exactly one gets it; that step or an earlier one never again, a later one once", async () => {
      const db = await withUsers("u1");
      const totp = createTotpRepository(db);
      const step = Math.floor(Date.now() / 30_000);
      await totp.saveEnabled({ userId: "u1", secret: "JBSWY3DPEHPK3PXP", lastUsedStep: step - 2, createdAt: Date.now() });

      const claims = await Promise.all(Array.from({ length: 20 }, () => totp.claimStep("u1", step)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await totp.claimStep("u1", step)).toBe(false);
      expect(await totp.claimStep("u1", step - 1)).toBe(false);
      expect(await totp.claimStep("u1", step + 1)).toBe(true);
      expect(await totp.claimStep("nobody", step + 2)).toBe(false);
      expect((await totp.ofUser("u1"))!.lastUsedStep).toBe(step + 1);
    });
  });
}
