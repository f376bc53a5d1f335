// Many accounts at once, by direct inserts into a migrated SQLite file (what the console's search is measured and
// checked on: bench/tools/console-user-search.ts, test/console-user-search-plan.test.ts, the browser tests). One
// transaction of prepared inserts: about 3.5 s per 100,000 accounts (their indexes included). No password hashes: these accounts are looked
// at, not signed in with.
import { Database } from "bun:sqlite";

export interface SeededUsers {
  count: number;
  /** A prefix every seeded address starts with: `<prefix><index>@seed.example`. */
  prefix: string;
}

/**
 * Inserts `count` active accounts into the SQLite file (already migrated): addresses `<prefix><n>@seed.example` in
 * order of n, every fifth with a username `<prefix>name<n>`, every hundredth also with the `admin` role, created one
 * second apart ending now.
 */
export function seedUsers(file: string, count: number, prefix = "seed"): SeededUsers {
  const db = new Database(file, { strict: true });
  try {
    db.run("PRAGMA busy_timeout = 5000");
    const user = db.prepare(
      `INSERT INTO users (id, email, username, display_name, active, email_verified, disabled, is_anonymous, default_role, tier, metadata, created_at, updated_at)
       VALUES (?, ?, ?, ?, 1, 1, 0, 0, 'user', 0, '{}', ?, ?)`,
    );
    const role = db.prepare("INSERT INTO user_roles (user_id, role) VALUES (?, ?)");
    const start = Date.now() - count * 1000;
    db.transaction(() => {
      for (let index = 0; index < count; index++) {
        const id = crypto.randomUUID();
        const at = start + index * 1000;
        user.run(id, `${prefix}${index}@seed.example`, index % 5 === 0 ? `${prefix}name${index}` : null, `Seeded ${index}`, at, at);
        role.run(id, "user");
        if (index % 100 === 0) role.run(id, "admin");
      }
    })();
    return { count, prefix };
  } finally {
    db.close();
  }
}

/** SQLite's plan for a statement: its EXPLAIN QUERY PLAN lines' details. */
export function queryPlan(file: string, statement: { sql: string; params: unknown[] }): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.query(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...(statement.params as never[])) as { detail: string }[];
    return rows.map((row) => row.detail);
  } finally {
    db.close();
  }
}
