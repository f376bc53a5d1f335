// Long-lived API tokens (lncrawl's UserToken): 10 characters from [A-Za-z0-9], about 59.5 bits. Their owner can
// list them again (GET /me/tokens), so they are stored as they are; checking one is rate limited per IP.
import type { ApiTokensRepository, StoredApiToken } from "../../db/repositories/api-tokens.ts";
import { refusalOf } from "../accounts/caller-gate.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Random } from "../../lib/random.ts";
import { CoreError } from "../errors.ts";
import type { Guesses } from "../throttling/guesses.ts";
import type { SessionContext } from "./sessions.ts";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LENGTH = 10;
const LIFETIME_MS = 15 * 86_400_000;
/** A token still valid this long is handed out again instead of a new one (lncrawl's rule). */
const REUSE_IF_VALID_FOR_MS = 3 * 86_400_000;

/** A token as its owner sees it. */
export type ApiToken = StoredApiToken;

export interface ApiTokens {
  /** The newest token if it is valid for 3 more days, else a new one valid for 15. */
  createOrReuse(userId: string): Promise<ApiToken>;
  /** The user's tokens, the one expiring last first. */
  list(userId: string): Promise<ApiToken[]>;
  /**
   * The owner of a live token, and whether the caller gate would admit them; `invalid_api_token` or
   * `api_token_expired` otherwise. Each try is a guess, counted per client IP.
   */
  owner(token: string, client: SessionContext): Promise<{ userId: string; active: boolean }>;
}

export function createApiTokens(deps: { tokens: ApiTokensRepository; clock: Clock; random: Random; guesses: Guesses }): ApiTokens {
  const { tokens, clock, random, guesses } = deps;

  return {
    async createOrReuse(userId) {
      const now = clock.now();
      const newest = await tokens.newestOf(userId);
      if (newest && newest.expiresAt - now > REUSE_IF_VALID_FOR_MS) return newest;
      for (let attempt = 0; attempt < 10; attempt++) {
        const created = await tokens.insert({ token: random.pick(ALPHABET, LENGTH), userId, expiresAt: now + LIFETIME_MS, createdAt: now });
        if (created) return created;
      }
      throw new Error("could not draw a free API token in 10 attempts");
    },

    list: (userId) => tokens.ofUser(userId),

    async owner(token, client) {
      return guesses.attempt({ ip: client.ip }, async () => {
        const row = await tokens.withOwner(token);
        if (!row) throw new CoreError("invalid_api_token");
        if (row.expiresAt <= clock.now()) throw new CoreError("api_token_expired");
        // The owner's state by the caller gate's rule, from the row this read already joined.
        return { userId: row.userId, active: refusalOf(row) === null };
      });
    },
  };
}
