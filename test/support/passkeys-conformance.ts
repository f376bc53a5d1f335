// The passkeys repository (src/db/repositories/passkeys.ts) on each engine, by its methods: part of the database
// conformance suite (database-conformance.ts), which runs it on SQLite and PostgreSQL. A credential id is unique
// across every user, and of concurrent uses with one counter exactly one is recorded (a clone's is refused).
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import type { Database } from "../../src/db/client.ts";
import { createPasskeysRepository, type StoredPasskey } from "../../src/db/repositories/passkeys.ts";
import { createSignInMethodsRepository } from "../../src/db/repositories/sign-in-methods.ts";
import { overlapRecorder, userRow } from "./database-conformance.ts";

/** A passkey row of `userId`; `overrides` for the case at hand. */
function passkey(id: string, userId: string, overrides: Partial<StoredPasskey> = {}): StoredPasskey {
  return {
    id,
    userId,
    publicKey: "pQECAyYgASFYIMq",
    counter: 0,
    transports: ["internal", "hybrid"],
    deviceType: "multiDevice",
    backedUp: true,
    nickname: null,
    createdAt: 1_700_000_000_000,
    lastUsedAt: null,
    ...overrides,
  };
}

export function passkeysRepositoryConformance(migrated: () => Promise<Database>): void {
  async function withUsers(...ids: string[]): Promise<Database> {
    const db = await migrated();
    for (const id of ids) await db.insert(db.tables.users).values(userRow(id));
    return db;
  }

  describe("passkeys repository", () => {
    test("insert, byId, ofUser: the row with its types, oldest first; a credential id is unique across users", async () => {
      const db = await withUsers("u1", "u2");
      const passkeys = createPasskeysRepository(db);
      const first = passkey("cred-1", "u1", { nickname: "laptop", counter: 2 ** 32 - 1, lastUsedAt: 1_800_000_000_000 });
      const second = passkey("cred-2", "u1", { createdAt: 1_700_000_000_001, transports: [], backedUp: false, deviceType: "singleDevice" });
      expect(await passkeys.insert(second)).toBe(true);
      expect(await passkeys.insert(first)).toBe(true);
      expect(await passkeys.byId("cred-1")).toStrictEqual(first);
      expect(await passkeys.byId("nothing")).toBeNull();
      expect(await passkeys.ofUser("u1")).toStrictEqual([first, second]);
      expect(await passkeys.ofUser("u2")).toStrictEqual([]);

      // The same credential id for another user: refused, nothing written.
      expect(await passkeys.insert(passkey("cred-1", "u2"))).toBe(false);
      expect(await passkeys.ofUser("u2")).toStrictEqual([]);
      expect((await passkeys.byId("cred-1"))!.userId).toBe("u1");
    });

    test("recordUse: of 20 concurrent uses with one counter exactly one is recorded; never a counter that did not grow", async () => {
      const db = await withUsers("u1");
      const passkeys = createPasskeysRepository(db);
      await passkeys.insert(passkey("counting", "u1", { counter: 5 }));
      const uses = await Promise.all(Array.from({ length: 20 }, () => passkeys.recordUse("counting", { counter: 6, backedUp: false, usedAt: 1_800_000_000_000 })));
      expect(uses.filter(Boolean)).toHaveLength(1);
      expect(await passkeys.byId("counting")).toMatchObject({ counter: 6, backedUp: false, lastUsedAt: 1_800_000_000_000 });
      expect(await passkeys.recordUse("counting", { counter: 6, backedUp: true, usedAt: 1 })).toBe(false);
      expect(await passkeys.recordUse("counting", { counter: 4, backedUp: true, usedAt: 1 })).toBe(false);
      expect(await passkeys.recordUse("counting", { counter: 0, backedUp: true, usedAt: 1 })).toBe(false);
      expect(await passkeys.recordUse("counting", { counter: 2 ** 32 - 1, backedUp: true, usedAt: 2 })).toBe(true);
      expect(await passkeys.byId("counting")).toMatchObject({ counter: 2 ** 32 - 1, backedUp: true, lastUsedAt: 2 });
      expect(await passkeys.recordUse("nothing", { counter: 9, backedUp: true, usedAt: 1 })).toBe(false);

      // An authenticator that does not count: 0 after 0, every time.
      await passkeys.insert(passkey("still", "u1"));
      expect(await passkeys.recordUse("still", { counter: 0, backedUp: true, usedAt: 3 })).toBe(true);
      expect(await passkeys.recordUse("still", { counter: 0, backedUp: true, usedAt: 4 })).toBe(true);
      expect((await passkeys.byId("still"))!.lastUsedAt).toBe(4);
    });

    test("remove: only the user's own, once; an account's passkeys go with it", async () => {
      const db = await withUsers("u1", "u2");
      const passkeys = createPasskeysRepository(db);
      await passkeys.insert(passkey("a", "u1"));
      await passkeys.insert(passkey("b", "u1"));
      expect(await passkeys.remove("u2", "a")).toBe(false);
      expect(await passkeys.remove("u1", "a")).toBe(true);
      expect(await passkeys.remove("u1", "a")).toBe(false);
      expect((await passkeys.ofUser("u1")).map((row) => row.id)).toEqual(["b"]);
      await db.delete(db.tables.users).where(eq(db.tables.users.id, "u1"));
      expect(await passkeys.byId("b")).toBeNull();
    });

    test("sign-in methods: counted by kind, and one account's removals never overlap, whatever their kind", async () => {
      const db = await withUsers("u1");
      await createPasskeysRepository(db).insert(passkey("a", "u1"));
      const methods = createSignInMethodsRepository(db);
      expect(await methods.ofUser("u1")).toEqual({ password: false, identities: 0, passkeys: 1 });
      expect(await methods.ofUser("nobody")).toEqual({ password: false, identities: 0, passkeys: 0 });
      const recorder = overlapRecorder();
      await Promise.all(Array.from({ length: 6 }, () => methods.exclusively("u1", recorder.action)));
      expect(recorder.finished).toBe(6);
      expect(recorder.most).toBe(1);
    });
  });
}
