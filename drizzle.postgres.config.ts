import { defineConfig } from "drizzle-kit";

// The PostgreSQL half of `bun run db:generate` (src/db/schema-pg.ts into drizzle/postgres/); see drizzle.sqlite.config.ts.
// Generating needs no live database.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema-pg.ts",
  out: "./drizzle/postgres",
});
