// The second-factor repositories (src/db/repositories/totp.ts, recovery-codes.ts) on each engine, by their methods:
// part of the database conformance suite (database-conformance.ts), which runs it on SQLite and PostgreSQL.
import { describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/client.ts";
import { createRecoveryCodesRepository, type NewRecoveryCode } from "../../src/db/repositories/recovery-codes.ts";
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

  /** Codes to store: each one's digest is `h:<code>` here (the repository takes whatever digest core makes). */
  const stored = (...codes: string[]): NewRecoveryCode[] => codes.map((code) => ({ id: `id-${code}-${crypto.randomUUID()}`, codeHash: `h:${code}`, code }));

  describe("recovery codes repository", () => {
    test("replace and codesOf: a user's codes of one purpose are replaced together, listed as stored; other purposes and users stay", async () => {
      const db = await withUsers("u1", "u2");
      const codes = createRecoveryCodesRepository(db);
      const now = Date.now();
      expect(await codes.codesOf("u1", "backup-code")).toEqual([]);

      await codes.replace("u1", "backup-code", stored("31415926", "27182818", "14142135", "17320508"), now);
      await codes.replace("u1", "recovery-code", stored("9TW45AZU"), now);
      await codes.replace("u2", "backup-code", stored("16180339"), now);
      // In the order they were stored: a download lists them as they were issued.
      expect(await codes.codesOf("u1", "backup-code")).toEqual(["31415926", "27182818", "14142135", "17320508"]);
      expect(await codes.codesOf("u1", "recovery-code")).toEqual(["9TW45AZU"]);

      await codes.replace("u1", "backup-code", stored("57721566", "69314718"), now + 1);
      expect(await codes.codesOf("u1", "backup-code")).toEqual(["57721566", "69314718"]);
      expect(await codes.codesOf("u1", "recovery-code")).toEqual(["9TW45AZU"]);
      expect(await codes.codesOf("u2", "backup-code")).toEqual(["16180339"]);

      // A code kept as its digest only is not listed, and is still spent by it.
      await codes.replace("u2", "backup-code", [{ id: "digest-only", codeHash: "h:digest-only", code: null }], now);
      expect(await codes.codesOf("u2", "backup-code")).toEqual([]);
      expect(await codes.spend("u2", "backup-code", "h:digest-only")).toBe(true);

      await codes.replace("u1", "backup-code", [], now);
      expect(await codes.codesOf("u1", "backup-code")).toEqual([]);
      expect(await codes.codesOf("u1", "recovery-code")).toEqual(["9TW45AZU"]);
    });

    test("replace is all or nothing: a failing insert keeps the codes that were there", async () => {
      const db = await withUsers("u1");
      const codes = createRecoveryCodesRepository(db);
      await codes.replace("u1", "backup-code", stored("31415926"), Date.now());
      // The same id twice: the second insert fails on the primary key, after the old codes were deleted.
      const twice = { id: "same", codeHash: "h:x", code: "x" };
      await expect(codes.replace("u1", "backup-code", [twice, twice], Date.now())).rejects.toThrow();
      expect(await codes.codesOf("u1", "backup-code")).toEqual(["31415926"]);
    });

    test("spend: of 20 concurrent spends of one code exactly one gets it; another user's, purpose's or digest gets nothing", async () => {
      const db = await withUsers("u1", "u2");
      const codes = createRecoveryCodesRepository(db);
      const now = Date.now();
      await codes.replace("u1", "backup-code", stored("31415926", "27182818"), now);
      await codes.replace("u2", "backup-code", stored("31415926"), now);
      await codes.replace("u1", "recovery-code", stored("9TW45AZU"), now);

      const spends = await Promise.all(Array.from({ length: 20 }, () => codes.spend("u1", "backup-code", "h:31415926")));
      expect(spends.filter(Boolean)).toHaveLength(1);
      expect(await codes.spend("u1", "backup-code", "h:31415926")).toBe(false);
      expect(await codes.spend("u1", "recovery-code", "h:27182818")).toBe(false);
      expect(await codes.spend("u1", "backup-code", "h:9TW45AZU")).toBe(false);
      expect(await codes.spend("nobody", "backup-code", "h:27182818")).toBe(false);
      expect(await codes.codesOf("u1", "backup-code")).toEqual(["27182818"]);
      expect(await codes.codesOf("u2", "backup-code")).toEqual(["31415926"]);
      expect(await codes.codesOf("u1", "recovery-code")).toEqual(["9TW45AZU"]);
    });

    test("removeAll: the user's codes of that purpose only", async () => {
      const db = await withUsers("u1", "u2");
      const codes = createRecoveryCodesRepository(db);
      const now = Date.now();
      await codes.replace("u1", "backup-code", stored("31415926", "27182818"), now);
      await codes.replace("u1", "recovery-code", stored("9TW45AZU"), now);
      await codes.replace("u2", "backup-code", stored("16180339"), now);
      await codes.removeAll("u1", "backup-code");
      await codes.removeAll("nobody", "backup-code");
      expect(await codes.codesOf("u1", "backup-code")).toEqual([]);
      expect(await codes.codesOf("u1", "recovery-code")).toEqual(["9TW45AZU"]);
      expect(await codes.codesOf("u2", "backup-code")).toEqual(["16180339"]);
    });
  });
}
