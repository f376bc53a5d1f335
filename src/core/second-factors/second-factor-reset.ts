// The way back in when the authenticator is lost: the user's recovery code (RECOVERY_CODE, Faroe) turns the second
// factor off, and is replaced whenever it is used or regenerated.
import type { Guesses } from "../throttling/guesses.ts";
import { CoreError } from "../errors.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import type { RecoveryCodes } from "./recovery-codes.ts";
import type { Totp } from "./totp.ts";

export interface SecondFactorReset {
  /** The user's recovery code; one is made for users who have none yet (accounts made through other APIs). */
  currentCode(userId: string): Promise<string>;
  /** Replaces the user's recovery code; answers the new one. */
  newCode(userId: string): Promise<string>;
  /** Turns the second factor off with the recovery code and answers the code that replaces it: `incorrect_code`, `rate_limited`. */
  reset(userId: string, recoveryCode: string, client: SessionContext): Promise<string>;
}

export function createSecondFactorReset(deps: { recoveryCodes: RecoveryCodes; totp: Totp; guesses: Guesses }): SecondFactorReset {
  const { recoveryCodes, totp, guesses } = deps;
  const newCode = async (userId: string) => (await recoveryCodes.issue(userId))[0]!;

  return {
    async currentCode(userId) {
      const [code] = await recoveryCodes.list(userId);
      return code ?? newCode(userId);
    },

    newCode,

    async reset(userId, recoveryCode, client) {
      // 40-bit codes: every try counts against the user (and IP) in the shared guess limiter; a success clears the
      // user's count.
      return guesses.attempt({ ip: client.ip, account: `recovery-code:user:${userId}`, secondFactor: true }, async () => {
        if (!(await recoveryCodes.spend(userId, recoveryCode))) throw new CoreError("incorrect_code");
        await totp.remove(userId);
        return newCode(userId);
      });
    },
  };
}
