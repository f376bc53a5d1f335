// Long-lived API tokens (lncrawl's UserToken): 10 characters from [A-Za-z0-9], about 59.5 bits. Their owner can
// list them again (GET /me/tokens), so they are stored as they are; checking one is rate limited per IP.
import { and, desc, eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { refusalOf } from "./caller-gate.ts";
import type { ApiTokenRow } from "../db/schema.ts";
import type { Clock } from "../lib/clock.ts";
import type { Random } from "../lib/random.ts";
import { CoreError } from "./errors.ts";
import type { Guesses } from "./guesses.ts";
import type { SessionContext } from "./sessions.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LENGTH = 10;
const LIFETIME_MS = 15 * 86_400_000;
/** A token still valid this long is handed out again instead of a new one (lncrawl's rule). */
const REUSE_IF_VALID_FOR_MS = 3 * 86_400_000;

export type ApiTokens = ReturnType<typeof createApiTokens>;

export function createApiTokens(deps: { db: Database; clock: Clock; random: Random; guesses: Guesses }) {
  const { db, clock, random, guesses } = deps;
  const { apiTokens, users } = db.tables;

  return {
    /** The newest token if it is valid for 3 more days, else a new one valid for 15. */
    async createOrReuse(userId: string): Promise<ApiTokenRow> {
      const now = clock.now();
      const [newest] = await db
        .select()
        .from(apiTokens)
        .where(eq(apiTokens.userId, userId))
        .orderBy(desc(apiTokens.expiresAt))
        .limit(1);
      if (newest && newest.expiresAt - now > REUSE_IF_VALID_FOR_MS) return newest;
      for (let attempt = 0; attempt < 10; attempt++) {
        const [created] = await db
          .insert(apiTokens)
          .values({ token: random.pick(ALPHABET, LENGTH), userId, expiresAt: now + LIFETIME_MS, createdAt: now })
          .onConflictDoNothing()
          .returning();
        if (created) return created;
      }
      throw new Error("could not draw a free API token in 10 attempts");
    },

    /** The user's tokens, the one expiring last first. */
    list(userId: string): Promise<ApiTokenRow[]> {
      return db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(desc(apiTokens.expiresAt));
    },

    /** The owner of a live token; `invalid_api_token` or `api_token_expired` otherwise. */
    async owner(token: string, client: SessionContext): Promise<{ userId: string; active: boolean }> {
      return guesses.attempt({ ip: client.ip }, async () => {
        const [row] = await db
          .select({ userId: apiTokens.userId, expiresAt: apiTokens.expiresAt, active: users.active, disabled: users.disabled })
          .from(apiTokens)
          .innerJoin(users, eq(users.id, apiTokens.userId))
          .where(and(eq(apiTokens.token, token)))
          .limit(1);
        if (!row) throw new CoreError("invalid_api_token");
        if (row.expiresAt <= clock.now()) throw new CoreError("api_token_expired");
        // The owner's state by the caller gate's rule, from the row this read already joined.
        return { userId: row.userId, active: refusalOf(row) === null };
      });
    },
  };
}
