// The embedded migrations (src/db/migrations.ts) match what drizzle-kit wrote into drizzle/<dialect>/.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { embeddedMigrations, embeddedTags, journalTags, type MigrationDialect } from "../src/db/migrations.ts";

const DRIZZLE = resolve(import.meta.dir, "../drizzle");
const dialects: MigrationDialect[] = ["sqlite", "postgres"];

for (const dialect of dialects) {
  describe(`${dialect} migrations`, () => {
    test(`every migration in drizzle/${dialect}/meta/_journal.json is embedded in src/db/migrations.ts`, () => {
      expect(journalTags[dialect].length).toBeGreaterThan(0);
      expect([...embeddedTags[dialect]].sort()).toEqual([...journalTags[dialect]].sort());
    });

    test(`every .sql file in drizzle/${dialect}/ is in its journal`, () => {
      const files = readdirSync(join(DRIZZLE, dialect)).filter((name) => name.endsWith(".sql"));
      expect(files.map((name) => name.replace(/\.sql$/, "")).sort()).toEqual([...journalTags[dialect]].sort());
    });

    test("embedded in journal order, with the file's text, its sha256 and increasing timestamps", () => {
      const migrations = embeddedMigrations(dialect);
      expect(migrations.map((migration) => migration.tag)).toEqual([...journalTags[dialect]]);
      for (const [i, migration] of migrations.entries()) {
        const text = readFileSync(join(DRIZZLE, dialect, `${migration.tag}.sql`), "utf8");
        expect(migration.sql.join("--> statement-breakpoint")).toBe(text);
        expect(migration.hash).toBe(createHash("sha256").update(text).digest("hex"));
        if (i > 0) expect(migration.folderMillis).toBeGreaterThan(migrations[i - 1]!.folderMillis);
      }
    });
  });
}

test("embeddedMigrations() with no dialect is SQLite's", () => {
  expect(embeddedMigrations()).toEqual(embeddedMigrations("sqlite"));
});

test("SQLite databases migrated before drizzle/sqlite/ existed see the same hashes (a migration is never edited)", () => {
  const hashes = Object.fromEntries(embeddedMigrations("sqlite").map((migration) => [migration.tag, migration.hash]));
  expect(hashes).toMatchObject({
    "0000_init": "39bb2bd755ac4246d60b94edbee427b225def27948255e7f14ad3099ad3ff532",
    "0001_rate_limits_totp": "5fb6519e8d0b61b44bbfc58965ef9536c9e1f2c32fe5710246a6970a045330cc",
    "0002_files_faroe": "2b99f2480370207eb7f7bae64a6083a2809c5365ca195bd26a09c33b620af32b",
    "0003_tier_referrer_api_tokens": "bcf12b8bcc60cad8ad50d22fbcd7825788a817c38f5de20a709c6dc3a4c4b369",
  });
});
