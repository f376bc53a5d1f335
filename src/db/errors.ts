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
