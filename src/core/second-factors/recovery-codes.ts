// A user's recovery code: one 8-character code that turns the second factor off when the authenticator is lost,
// and is replaced whenever it is used or regenerated.
// Stored as SHA-256 and, because an API must show it again (Faroe's GET /users/[id]/recovery-code), also as it
// is: whoever can read the database can read it, as they could read the TOTP secret it stands in for.
import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { Clock } from "../lib/clock.ts";
import { randomRequestId, randomShortCode } from "../lib/ids.ts";
import type { Random } from "../lib/random.ts";
import { CoreError } from "./errors.ts";
import type { Guesses } from "./guesses.ts";
import { sha256Hex } from "../lib/secrets.ts";
import type { SessionContext } from "./sessions.ts";
import type { Totp } from "./second-factors/totp.ts";

export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>;

export function createRecoveryCodes(deps: { db: Database; clock: Clock; random: Random; guesses: Guesses; totp: Totp }) {
  const { db, clock, random, guesses, totp } = deps;
  const { recoveryCodes } = db.tables;

  /** Replaces the user's code by a new one, in one transaction. */
  async function replace(userId: string): Promise<string> {
    const code = randomShortCode(random);
    await db.transaction(async (tx) => {
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      await tx.insert(recoveryCodes).values({ id: randomRequestId(random), userId, codeHash: sha256Hex(code), code, createdAt: clock.now() });
    });
    return code;
  }

  return {
    /** The user's code; one is made for users who have none yet (accounts from other dialects). */
    async current(userId: string): Promise<string> {
      const [row] = await db
        .select({ code: recoveryCodes.code })
        .from(recoveryCodes)
        .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
        .limit(1);
      return row?.code ?? replace(userId);
    },

    async regenerate(userId: string): Promise<string> {
      return replace(userId);
    },

    /**
     * Turns the second factor off with the recovery code and answers the code that replaces it. 40-bit codes:
     * every try counts against the user (and IP) in the shared guess limiter; a success clears the user's count.
     */
    async resetSecondFactor(userId: string, code: string, client: SessionContext): Promise<string> {
      return guesses.attempt({ ip: client.ip, account: `recovery-code:user:${userId}`, secondFactor: true }, async () => {
        // One conditional DELETE: a code is used once, even by two requests at the same moment.
        const used = await db
          .delete(recoveryCodes)
          .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, sha256Hex(code.toUpperCase()))))
          .returning({ id: recoveryCodes.id });
        if (used.length === 0) throw new CoreError("incorrect_code");
        await totp.remove(userId);
        return replace(userId);
      });
    },
  };
}
