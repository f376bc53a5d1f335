// Recognising constraint violations across dialects (drizzle wraps the driver's error as `cause`).

/** Whether an error is a unique-constraint violation on `table.column` (SQLite's or PostgreSQL's wording). */
export function isUniqueViolation(error: unknown, table: string, column: string): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current.message.includes(`UNIQUE constraint failed: ${table}.${column}`)) return true;
    const pg = current as Error & { errno?: string; constraint?: string; detail?: string };
    // PostgreSQL: SQLSTATE 23505; drizzle-kit names unique indexes <table>_<column>_unique.
    if (pg.errno === "23505" && (pg.constraint === `${table}_${column}_unique` || pg.detail?.includes(`(${column})`) === true)) return true;
  }
  return false;
}

/** Whether an error is a foreign-key violation (a row referring to one that does not exist, e.g. a deleted user). */
export function isForeignKeyViolation(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current.message.includes("FOREIGN KEY constraint failed")) return true;
    if ((current as Error & { errno?: string }).errno === "23503") return true; // PostgreSQL's SQLSTATE
  }
  return false;
}
