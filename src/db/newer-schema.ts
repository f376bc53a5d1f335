// Rollback safety: a latchkey binary never runs on a database that a newer latchkey has migrated. The newer one's
// migrations may have moved data where this binary does not look (a column split, a table renamed), so serving on it
// would lose or corrupt data silently. The migrators (sqlite.ts, postgres.ts) call this before applying anything;
// the command line turns the error into exit code 1 with its message. The way back is the newer binary, or the
// backup taken before the upgrade.
import type { EmbeddedMigration } from "./migrations.ts";

/** A row of drizzle's journal table: the migration's digest and its timestamp (drizzle's `folderMillis`). */
export interface RecordedMigration {
  hash: string;
  createdAtMillis: number;
}

/** The database has migrations this binary does not know: it was migrated by a newer latchkey. */
export class NewerSchemaError extends Error {
  constructor(
    readonly unknown: readonly RecordedMigration[],
    readonly newestKnown: EmbeddedMigration,
    database: string,
  ) {
    const listed = unknown.map((migration) => `${iso(migration.createdAtMillis)} (sha256 ${migration.hash.slice(0, 12)})`).join(", ");
    super(
      `the database ${database} was migrated by a newer latchkey: it has ${unknown.length === 1 ? "a migration" : `${unknown.length} migrations`} ` +
        `this latchkey does not know, made ${listed}; the newest this latchkey knows is ${newestKnown.tag}, made ` +
        `${iso(newestKnown.folderMillis)}. Nothing was changed. Run the newer latchkey again, or restore the backup taken ` +
        `before the upgrade (see "Upgrades and rollback" in the docs).`,
    );
    this.name = "NewerSchemaError";
  }
}

function iso(millis: number): string {
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? String(millis) : date.toISOString();
}

/** Throws NewerSchemaError when `recorded` has a migration that `known` (this binary's, in order) does not. */
export function refuseNewerSchema(recorded: readonly RecordedMigration[], known: readonly EmbeddedMigration[], database: string): void {
  const knownMillis = new Set(known.map((migration) => migration.folderMillis));
  const unknown = recorded.filter((migration) => !knownMillis.has(migration.createdAtMillis)).sort((a, b) => a.createdAtMillis - b.createdAtMillis);
  const newestKnown = known[known.length - 1];
  if (unknown.length > 0 && newestKnown !== undefined) throw new NewerSchemaError(unknown, newestKnown, database);
}
