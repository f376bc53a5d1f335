import { defineConfig } from "drizzle-kit";

// `bun run db:generate` writes SQL migrations into drizzle/ from the schema.
// They are embedded into the binary by src/db/migrations.ts and applied at start-up.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
});
