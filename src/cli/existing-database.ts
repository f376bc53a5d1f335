// The operator's commands work on a database that is there; they never make one. `latchkey user list` run in the
// wrong folder used to create an empty database there and answer "no accounts", which looks like data loss. Only
// `serve`, `migrate` and `import` (into an empty database) create one.
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { openDatabase, type DatabaseHandle, type DatabaseLocation } from "../db/client.ts";

/**
 * The database at `location`, migrated to this latchkey's schema, or null after printing "no latchkey database in
 * <where>" when there is none: no SQLite file in the data directory, or a PostgreSQL database without latchkey's
 * tables. Nothing is created either way.
 */
export async function openExistingDatabase(location: DatabaseLocation): Promise<DatabaseHandle | null> {
  const dataDir = dirname(location.sqliteFile);
  if (!location.url && !existsSync(location.sqliteFile)) {
    console.error(`latchkey: no latchkey database in ${dataDir} (set DATA_DIR or --data-dir, or DATABASE_URL for PostgreSQL)`);
    return null;
  }
  const database = await openDatabase(location);
  if (!(await database.isMigrated())) {
    const where = location.url ? database.description : dataDir;
    await database.close();
    console.error(`latchkey: no latchkey database in ${where} (it has no latchkey tables; \`latchkey migrate\` creates them)`);
    return null;
  }
  // A database an older latchkey wrote gets the columns this one reads, as the server's start-up would.
  await database.migrate();
  return database;
}
