import { defineConfig } from "drizzle-kit";

// `bun run db:generate` writes SQL migrations for both dialects from the schemas: SQLite here (src/db/schema.ts into
// drizzle/sqlite/), PostgreSQL in drizzle.postgres.config.ts. src/db/migrations.ts embeds them into the binary.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./drizzle/sqlite",
});
