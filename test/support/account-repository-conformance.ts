// The account repositories (src/db/repositories/users.ts, sessions.ts, api-tokens.ts, user-directory.ts) on each
// engine, by their methods: part of the database conformance suite (database-conformance.ts), which runs it on
// SQLite and PostgreSQL.
import { describe, expect, test } from "bun:test";
import type { Database } from "../../src/db/client.ts";
import { createApiTokensRepository } from "../../src/db/repositories/api-tokens.ts";
import { createSessionsRepository, type NewSession, type RotationClaim } from "../../src/db/repositories/sessions.ts";
import { createUserDirectoryRepository } from "../../src/db/repositories/user-directory.ts";
import { createUsersRepository, type NewAccount, type StoredSessionUser, type StoredUser } from "../../src/db/repositories/users.ts";
import { normaliseEmail } from "../../src/core/accounts/users.ts";
import { userRow } from "./database-conformance.ts";

const NOW = 1_700_000_000_000;

function account(id: string, overrides: Partial<NewAccount> = {}): NewAccount {
  return { id, email: `${id}@example.com`, displayName: id, defaultRole: "user", metadata: {}, createdAt: NOW, updatedAt: NOW, ...overrides };
}

function session(id: string, userId: string, overrides: Partial<NewSession> = {}): NewSession {
  return { id, userId, handle: `handle-${id}`, tokenHash: `hash-${id}`, expiresAt: NOW + 60_000, createdAt: NOW, userAgent: null, ip: null, ...overrides };
}

function claim(handle: string, tokenHash: string, newTokenHash: string, overrides: Partial<RotationClaim> = {}): RotationClaim {
  return { handle, tokenHash, newTokenHash, now: NOW + 1_000, expiresAt: NOW + 120_000, userAgent: "agent", ip: "192.0.2.1", ...overrides };
}

/** What a refresh reads of its session's owner, out of the whole row (listed here, so a column added or lost fails). */
function sessionUser(user: StoredUser): StoredSessionUser {
  const { id, email, displayName, avatarUrl, active, disabled, isAnonymous, defaultRole, metadata, createdAt, roles } = user;
  return { id, email, displayName, avatarUrl, active, disabled, isAnonymous, defaultRole, metadata, createdAt, roles };
}

/** The cases; `migrated` opens an empty, migrated database (closed by the suite after each case). */
export function accountRepositoryConformance(migrated: () => Promise<Database>): void {
  describe("users repository", () => {
    test("insert with roles; byId, byEmail, byUsername give the row with its roles sorted, or null", async () => {
      const users = createUsersRepository(await migrated());
      expect(await users.insert(account("u1", { username: "one", metadata: { plan: { seats: 3 } } }), ["user", "editor"])).toEqual({ taken: null });
      const found = await users.byId("u1");
      expect(found).toMatchObject({ id: "u1", email: "u1@example.com", username: "one", active: false, disabled: false, tier: 0, roles: ["editor", "user"] });
      expect(found!.metadata).toEqual({ plan: { seats: 3 } });
      expect(await users.byEmail("u1@example.com")).toStrictEqual(found);
      expect(await users.byUsername("one")).toStrictEqual(found);
      expect(await users.byId("nobody")).toBeNull();
      expect(await users.byEmail("nobody@example.com")).toBeNull();
      // The same row without its roles.
      const { roles: _, ...withoutRoles } = found!;
      expect(await users.accountById("u1")).toStrictEqual(withoutRoles);
      expect(await users.accountById("nobody")).toBeNull();
    });

    test("byEmail compares the stored, normalised address: core normalises what it is given (as today)", async () => {
      const users = createUsersRepository(await migrated());
      await users.insert(account("u1", { email: normaliseEmail("  Mixed.Case@Example.COM ") }), ["user"]);
      expect((await users.byEmail(normaliseEmail("MIXED.case@example.com")))?.id).toBe("u1");
      expect(await users.byEmail("Mixed.Case@Example.COM")).toBeNull();
    });

    test("an address or username another account has: `taken` names it, and nothing of the account (row or roles) is written", async () => {
      const db = await migrated();
      const users = createUsersRepository(db);
      await users.insert(account("u1", { username: "one" }), ["user"]);
      expect(await users.insert(account("u2", { email: "u1@example.com" }), ["user", "admin"])).toEqual({ taken: "email" });
      expect(await users.insert(account("u3", { username: "one" }), ["user"])).toEqual({ taken: "username" });
      expect(await users.byId("u2")).toBeNull();
      expect(await db.select().from(db.tables.userRoles)).toEqual([{ userId: "u1", role: "user" }]);
    });

    test("two inserts of one address at the same moment: exactly one is stored", async () => {
      const users = createUsersRepository(await migrated());
      const results = await Promise.all([users.insert(account("u1", { email: "same@example.com" }), ["user"]), users.insert(account("u2", { email: "same@example.com" }), ["user"])]);
      expect(results.map((result) => result.taken).sort()).toEqual(["email", null]);
      expect((await users.byEmail("same@example.com"))?.roles).toEqual(["user"]);
    });

    test("setters: password hash, email (false when taken), display name, disabled, verified; activate once", async () => {
      const users = createUsersRepository(await migrated());
      await users.insert(account("u1"), ["user"]);
      await users.insert(account("u2"), ["user"]);
      await users.setPasswordHash("u1", "$argon2id$x", NOW + 1);
      await users.setDisplayName("u1", "Uno", NOW + 2);
      await users.setDisabled("u1", true, NOW + 3);
      await users.markEmailVerified("u1", NOW + 4);
      expect(await users.setEmail("u1", "u2@example.com", NOW + 5)).toBe(false);
      expect(await users.setEmail("u1", "new@example.com", NOW + 6)).toBe(true);
      expect(await users.byId("u1")).toMatchObject({ passwordHash: "$argon2id$x", displayName: "Uno", disabled: true, emailVerified: true, email: "new@example.com", updatedAt: NOW + 6 });
      expect(await users.activate("u2", NOW)).toBe(true);
      expect(await users.activate("u2", NOW)).toBe(false);
      expect(await users.activate("nobody", NOW)).toBe(false);
      expect(await users.byId("u2")).toMatchObject({ active: true, emailVerified: true });
    });

    test("makeAdmin: active, enabled, admin by default with the admin role added once", async () => {
      const users = createUsersRepository(await migrated());
      await users.insert(account("u1", { active: false }), ["user"]);
      await users.setDisabled("u1", true, NOW);
      await users.makeAdmin("u1", "hash", NOW);
      await users.makeAdmin("u1", "hash", NOW);
      expect(await users.byId("u1")).toMatchObject({ active: true, disabled: false, defaultRole: "admin", tier: 2, roles: ["admin", "user"] });
    });

    test("deletion: disableForDeletion, then remove takes the row, its roles and its sessions, and clears referrals", async () => {
      const db = await migrated();
      const users = createUsersRepository(db);
      await users.insert(account("u1"), ["user", "admin"]);
      await users.insert(account("u2", { referrerId: "u1" }), ["user"]);
      await createSessionsRepository(db).insert(session("s1", "u1"));
      expect(await users.disableForDeletion("u1", NOW)).toBe(true);
      expect((await users.byId("u1"))?.disabled).toBe(true);
      expect(await users.remove("u1")).toBe(true);
      expect(await users.byId("u1")).toBeNull();
      expect((await users.byId("u2"))?.referrerId).toBeNull();
      expect(await db.select().from(db.tables.userRoles)).toEqual([{ userId: "u2", role: "user" }]);
      expect(await db.select().from(db.tables.sessions)).toEqual([]);
      expect(await users.remove("u1")).toBe(false);
      expect(await users.disableForDeletion("u1", NOW)).toBe(false);
    });

    test("list: every account oldest first, without roles", async () => {
      const users = createUsersRepository(await migrated());
      await users.insert(account("b", { createdAt: NOW + 1 }), ["user"]);
      await users.insert(account("a", { createdAt: NOW + 2 }), ["user"]);
      const listed = await users.list();
      expect(listed.map((row) => row.id)).toEqual(["b", "a"]);
      expect("roles" in listed[0]!).toBe(false);
    });

    test("addRole and removeRole: true when they changed the roles, false when there was nothing to do", async () => {
      const users = createUsersRepository(await migrated());
      await users.insert(account("u1"), ["user"]);
      expect(await users.addRole("u1", "editor", NOW + 5)).toBe(true);
      expect(await users.addRole("u1", "editor", NOW + 6)).toBe(false);
      expect(await users.byId("u1")).toMatchObject({ roles: ["editor", "user"], updatedAt: NOW + 5 });
      expect(await users.removeRole("u1", "editor", NOW + 7)).toBe(true);
      expect(await users.removeRole("u1", "editor", NOW + 8)).toBe(false);
      expect(await users.byId("u1")).toMatchObject({ roles: ["user"], updatedAt: NOW + 7 });
    });
  });

  describe("sessions repository", () => {
    async function withUser(): Promise<Database> {
      const db = await migrated();
      await db.insert(db.tables.users).values(userRow("u1"));
      return db;
    }

    test("of 20 concurrent rotations of one token exactly one wins; the row then holds its successor", async () => {
      const sessions = createSessionsRepository(await withUser());
      await sessions.insert(session("s1", "u1"));
      const results = await Promise.all(Array.from({ length: 20 }, (_, index) => sessions.rotate(claim("handle-s1", "hash-s1", `next-${index}`))));
      const winners = results.flatMap((result, index) => (result === null ? [] : [{ result, index }]));
      expect(winners.length).toBe(1);
      expect(winners[0]!.result).toMatchObject({ id: "s1", userId: "u1", owner: { id: "u1" } });
      expect(await sessions.byHandle("handle-s1")).toStrictEqual({
        id: "s1",
        userId: "u1",
        tokenHash: `next-${winners[0]!.index}`,
        expiresAt: NOW + 120_000,
        rotatedAt: NOW + 1_000,
        revokedAt: null,
      });
    });

    test("a won rotation reads what a refresh uses of its owner, as byId gives it (roles sorted, JSON, booleans, times), as it is now", async () => {
      const db = await migrated();
      const users = createUsersRepository(db);
      const sessions = createSessionsRepository(db);
      const metadata = { plan: { seats: 3, name: "\u00e9t\u00e9 \"q\"" }, tags: ["a", null], on: true };
      await users.insert(account("u1", { username: "one", avatarUrl: null, active: true, tier: 2, metadata, createdAt: NOW - 5 }), ["user", "editor", "a-role"]);
      await sessions.insert(session("s1", "u1"));
      const first = await sessions.rotate(claim("handle-s1", "hash-s1", "next-1"));
      expect(first!.owner).toStrictEqual(sessionUser((await users.byId("u1"))!));
      expect(first!.owner).toMatchObject({ active: true, disabled: false, metadata, roles: ["a-role", "editor", "user"], createdAt: NOW - 5 });
      // Only what a refresh uses: never the password hash.
      expect(first!.owner).not.toHaveProperty("passwordHash");
      // The account as the rotation finds it: a ban between two rotations is in the second's row.
      await users.setDisabled("u1", true, NOW + 500);
      await users.removeRole("u1", "editor", NOW + 500);
      const second = await sessions.rotate(claim("handle-s1", "next-1", "next-2"));
      expect(second!.owner).toStrictEqual(sessionUser((await users.byId("u1"))!));
      expect(second!.owner).toMatchObject({ disabled: true, roles: ["a-role", "user"] });
      // Without roles: an empty list, not null.
      await users.removeRole("u1", "a-role", NOW);
      await users.removeRole("u1", "user", NOW);
      expect((await sessions.rotate(claim("handle-s1", "next-2", "next-3")))!.owner!.roles).toEqual([]);
    });

    test("no rotation of a token that is not the current one, of a revoked or an expired session", async () => {
      const sessions = createSessionsRepository(await withUser());
      await sessions.insert(session("s1", "u1"));
      await sessions.insert(session("s2", "u1"));
      await sessions.insert(session("s3", "u1", { expiresAt: NOW }));
      expect(await sessions.rotate(claim("handle-s1", "old", "next"))).toBeNull();
      await sessions.revoke("s2", NOW);
      expect(await sessions.rotate(claim("handle-s2", "hash-s2", "next"))).toBeNull();
      expect(await sessions.rotate(claim("handle-s3", "hash-s3", "next"))).toBeNull();
      expect(await sessions.rotate(claim("handle-none", "hash-s1", "next"))).toBeNull();
      expect((await sessions.byHandle("handle-s1"))?.tokenHash).toBe("hash-s1");
    });

    test("a carried-over session (no handle) is found by its digest and takes the handle at its first rotation", async () => {
      const db = await withUser();
      const sessions = createSessionsRepository(db);
      await db.insert(db.tables.sessions).values({ ...session("s1", "u1", { handle: null, tokenHash: "carried" }), carriedTokenHash: "carried" });
      expect(await sessions.byCarriedDigest("carried")).toMatchObject({ id: "s1", tokenHash: "carried" });
      expect(await sessions.rotate(claim("new-handle", "other", "next"))).toBeNull();
      expect(await sessions.rotate(claim("new-handle", "carried", "next"))).toMatchObject({ id: "s1", userId: "u1", owner: { id: "u1" } });
      expect(await sessions.byCarriedDigest("carried")).toBeNull();
      expect(await sessions.byHandle("new-handle")).toMatchObject({ id: "s1", tokenHash: "next" });
    });

    test("liveness, revoke (keeps the first revocation time), revokeAllOfUser with an exception", async () => {
      const sessions = createSessionsRepository(await withUser());
      for (const id of ["s1", "s2", "s3"]) await sessions.insert(session(id, "u1"));
      expect(await sessions.liveness("s1")).toEqual({ expiresAt: NOW + 60_000, revokedAt: null });
      expect(await sessions.liveness("none")).toBeNull();
      await sessions.revoke("s1", NOW + 1);
      await sessions.revoke("s1", NOW + 2);
      expect((await sessions.liveness("s1"))?.revokedAt).toBe(NOW + 1);
      await sessions.revokeAllOfUser("u1", NOW + 3, { exceptSession: "s3" });
      // Live at NOW: s3 only (s1 and s2 revoked); at its expiry, none.
      expect(await sessions.countLive(NOW)).toBe(1);
      expect(await sessions.countLive(NOW + 60_000)).toBe(0);
      expect((await sessions.liveness("s1"))?.revokedAt).toBe(NOW + 1);
      expect((await sessions.liveness("s2"))?.revokedAt).toBe(NOW + 3);
      expect((await sessions.liveness("s3"))?.revokedAt).toBeNull();
    });

    test("liveOfUser: the user's sessions neither revoked nor expired, oldest first, with their client", async () => {
      const db = await withUser();
      await db.insert(db.tables.users).values(userRow("u2"));
      const sessions = createSessionsRepository(db);
      await sessions.insert(session("s1", "u1", { createdAt: NOW + 2, ip: "192.0.2.7", userAgent: "agent/1" }));
      await sessions.insert(session("s2", "u1", { createdAt: NOW + 1 }));
      await sessions.insert(session("revoked", "u1"));
      await sessions.insert(session("expired", "u1", { expiresAt: NOW + 10 }));
      await sessions.insert(session("other", "u2"));
      await sessions.revoke("revoked", NOW);
      expect(await sessions.rotate(claim("handle-s1", "hash-s1", "next"))).toMatchObject({ id: "s1", userId: "u1" });
      expect(await sessions.liveOfUser("u1", NOW + 10)).toEqual([
        { id: "s2", createdAt: NOW + 1, rotatedAt: null, expiresAt: NOW + 60_000, ip: null, userAgent: null },
        { id: "s1", createdAt: NOW + 2, rotatedAt: NOW + 1_000, expiresAt: NOW + 120_000, ip: "192.0.2.1", userAgent: "agent" },
      ]);
    });
  });

  describe("api tokens repository", () => {
    test("insert (null for an existing token), newestOf, ofUser newest first, withOwner with the owner's state", async () => {
      const db = await migrated();
      await db.insert(db.tables.users).values(userRow("u1", { active: true }));
      const tokens = createApiTokensRepository(db);
      expect(await tokens.newestOf("u1")).toBeNull();
      const first = { token: "AAAAAAAAAA", userId: "u1", expiresAt: NOW + 1, createdAt: NOW };
      const second = { token: "BBBBBBBBBB", userId: "u1", expiresAt: NOW + 2, createdAt: NOW };
      expect(await tokens.insert(first)).toStrictEqual(first);
      expect(await tokens.insert({ ...first, expiresAt: NOW + 5 })).toBeNull();
      await tokens.insert(second);
      expect(await tokens.newestOf("u1")).toStrictEqual(second);
      expect(await tokens.ofUser("u1")).toStrictEqual([second, first]);
      expect(await tokens.withOwner("AAAAAAAAAA")).toStrictEqual({ userId: "u1", expiresAt: NOW + 1, active: true, disabled: false });
      expect(await tokens.withOwner("CCCCCCCCCC")).toBeNull();
    });
  });

  describe("user directory repository", () => {
    test("pages in the order asked, ties broken by id; none past the end", async () => {
      const db = await migrated();
      for (const [id, email] of [["c", "x@example.com"], ["a", "x2@example.com"], ["b", "a@example.com"]] as const) {
        await db.insert(db.tables.users).values(userRow(id, { email, createdAt: NOW }));
      }
      const directory = createUserDirectoryRepository(db);
      const ids = async (query: Parameters<typeof directory.page>[0]) => (await directory.page(query)).map((row) => row.id);
      expect(await ids({ sortBy: "created_at", order: "ascending", limit: 2, offset: 0 })).toEqual(["a", "b"]);
      expect(await ids({ sortBy: "created_at", order: "descending", limit: 2, offset: 0 })).toEqual(["c", "b"]);
      // "x2@" sorts before "x@" ("2" < "@").
      expect(await ids({ sortBy: "email", order: "ascending", limit: 10, offset: 1 })).toEqual(["a", "c"]);
      expect(await ids({ sortBy: "id", order: "ascending", limit: 10, offset: 3 })).toEqual([]);
    });
  });
}
