// Storage's files repository (src/db/repositories/files.ts) on each engine, by its methods: part of the database
// conformance suite (database-conformance.ts), which runs it on SQLite and PostgreSQL.
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import type { Database } from "../../src/db/client.ts";
import { createFilesRepository } from "../../src/db/repositories/files.ts";
import { userRow } from "./database-conformance.ts";

function fileRow(key: string, ownerId: string | null, updatedAt: number) {
  return { key, size: key.length, contentType: "text/plain", etag: `"${key}"`, token: `token-${key}`, ownerId, updatedAt };
}

/** The cases; `migrated` opens an empty, migrated database (closed by the suite after each case). */
export function filesRepositoryConformance(migrated: () => Promise<Database>): void {
  describe("files repository", () => {
    test("upsert answers the row with its owner's state and keeps createdAt on replace; setToken; delete once", async () => {
      const db = await migrated();
      await db.insert(db.tables.users).values([userRow("u1"), userRow("u2", { disabled: true })]);
      const files = createFilesRepository(db);
      const now = Date.now();
      expect(await files.get("a.txt")).toBeNull();
      expect(await files.upsert(fileRow("a.txt", "u1", now))).toStrictEqual({ ...fileRow("a.txt", "u1", now), createdAt: now, ownerDisabled: false });
      const replaced = await files.upsert({ ...fileRow("a.txt", "u2", now + 5), size: 99 });
      expect(replaced).toStrictEqual({ ...fileRow("a.txt", "u2", now + 5), size: 99, createdAt: now, ownerDisabled: true });
      expect(await files.upsert(fileRow("b.txt", null, now))).toMatchObject({ ownerId: null, ownerDisabled: null });
      expect(await files.setToken("a.txt", "new-token", now + 9)).toMatchObject({ token: "new-token", updatedAt: now + 9 });
      expect(await files.setToken("missing", "new-token", now)).toBeNull();
      expect(await files.delete("a.txt")).toBe(true);
      expect(await files.delete("a.txt")).toBe(false);
      expect(await files.get("a.txt")).toBeNull();
    });

    test("getWithAccountState: get()'s columns of a metadata answer and the account's state as it is now, the file there or not", async () => {
      const db = await migrated();
      await db.insert(db.tables.users).values([userRow("u1", { active: true }), userRow("u2", { active: true, disabled: true }), userRow("u3", { active: false })]);
      const files = createFilesRepository(db);
      const now = Date.now();
      await files.upsert(fileRow("a.txt", "u2", now));
      const row = await files.get("a.txt");
      // The file's row as get() answers it, less the owner's id and the creation time, with the state beside (the row
      // object also carries it).
      const read = async (accountId: string) => {
        const { file, accountState } = await files.getWithAccountState("a.txt", accountId);
        return { file: file && { ...file, accountState: undefined }, accountState };
      };
      const { ownerId: _ownerId, createdAt: _createdAt, ...columns } = row!;
      expect(await read("u1")).toStrictEqual({ file: { ...columns, accountState: undefined }, accountState: { active: true, disabled: false } });
      expect(await read("u2")).toStrictEqual({ file: { ...columns, accountState: undefined }, accountState: { active: true, disabled: true } });
      expect(await read("u3")).toStrictEqual({ file: { ...columns, accountState: undefined }, accountState: { active: false, disabled: false } });
      expect(await read("gone")).toStrictEqual({ file: { ...columns, accountState: undefined }, accountState: null });
      expect(await files.getWithAccountState("missing", "u2")).toStrictEqual({ file: null, accountState: { active: true, disabled: true } });
      expect(await files.getWithAccountState("missing", "gone")).toStrictEqual({ file: null, accountState: null });
      // Read as it is now: a ban is seen by the next read.
      await db.update(db.tables.users).set({ disabled: true }).where(eq(db.tables.users.id, "u1"));
      expect((await files.getWithAccountState("a.txt", "u1")).accountState).toStrictEqual({ active: true, disabled: true });
    });

    test("page and totals stay under the folder (not its look-alike siblings); keysOwnedBy in key order", async () => {
      const db = await migrated();
      await db.insert(db.tables.users).values(userRow("u1"));
      const files = createFilesRepository(db);
      const now = Date.now();
      for (const key of ["user/1/b", "user/1/a", "user/1/sub/c", "user/10/x", "user/1-x", "user/2/y"]) {
        await files.upsert(fileRow(key, key.startsWith("user/1/") ? "u1" : null, now));
      }
      const keys = async (afterKey: string | null, limit: number) => (await files.page("user/1/", afterKey, limit)).map((row) => row.key);
      expect(await keys(null, 10)).toEqual(["user/1/a", "user/1/b", "user/1/sub/c"]);
      expect(await keys("user/1/a", 1)).toEqual(["user/1/b"]);
      expect((await files.page("", null, 10)).length).toBe(6);
      expect(await files.totals("user/1/")).toEqual({ count: 3, bytes: "user/1/a".length + "user/1/b".length + "user/1/sub/c".length });
      expect(await files.totals("nothing/")).toEqual({ count: 0, bytes: 0 });
      expect(await files.keysOwnedBy("u1", 2)).toEqual(["user/1/a", "user/1/b"]);
    });
  });
}
