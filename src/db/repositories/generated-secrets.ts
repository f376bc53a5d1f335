// Secrets latchkey generated on first start (core/sessions/generated-secrets.ts), one row per name, shared by every instance
// on the database.
import { eq } from "drizzle-orm";
import type { Database } from "../database.ts";

export interface GeneratedSecretsRepository {
  /** The value stored under `name`, or null. */
  value(name: string): Promise<string | null>;
  /**
   * Stores `value` under `name` unless a value is stored there already, which is then kept: true when this call
   * stored it. Of instances inserting at the same moment exactly one wins.
   */
  insertFirst(name: string, value: string): Promise<boolean>;
}

export function createGeneratedSecretsRepository(db: Database): GeneratedSecretsRepository {
  const { generatedSecrets } = db.tables;

  return {
    async value(name) {
      const [row] = await db.select({ value: generatedSecrets.value }).from(generatedSecrets).where(eq(generatedSecrets.name, name));
      return row?.value ?? null;
    },

    async insertFirst(name, value) {
      const inserted = await db.insert(generatedSecrets).values({ name, value }).onConflictDoNothing().returning({ name: generatedSecrets.name });
      return inserted.length > 0;
    },
  };
}
