// The second factors: a TOTP credential, and recovery codes of the kinds the APIs need (backup codes, the recovery
// code) with the flows over them. core/index.ts builds them once, here.
import type { RecoveryCodesRepository } from "../../db/repositories/recovery-codes.ts";
import type { TotpRepository } from "../../db/repositories/totp.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Random } from "../../lib/random.ts";
import { CoreError } from "../errors.ts";
import type { Guesses } from "../throttling/guesses.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import { BACKUP_CODES, createRecoveryCodes, RECOVERY_CODE, type RecoveryCodes } from "./recovery-codes.ts";
import { createSecondFactorReset, type SecondFactorReset } from "./second-factor-reset.ts";
import { createTotp, type Totp } from "./totp.ts";
import { createTwoFactorSetup, type TwoFactorSetup } from "./two-factor-setup.ts";

export interface SecondFactors {
  totp: Totp;
  /** BACKUP_CODES: each signs in once in place of a TOTP code, where the API takes them (`verify`). */
  backupCodes: RecoveryCodes;
  /** TOTP with backup codes, set up and turned off together. */
  twoFactorSetup: TwoFactorSetup;
  /** RECOVERY_CODE: turns the second factor off. */
  secondFactorReset: SecondFactorReset;
  /**
   * The second step of a sign-in: a TOTP code or, with `backupCodes` (an API that offers them), one of the user's
   * backup codes. Either is a try at the user's second factor: `invalid_totp_code`, `mfa_not_enabled`, `rate_limited`.
   */
  verify(userId: string, code: string, client: SessionContext, options?: { backupCodes?: boolean }): Promise<void>;
  /**
   * The operator's reset (`latchkey user mfa-reset`) for a user who lost both authenticator and codes: the TOTP
   * credential, the backup codes and the recovery code go, so the password alone signs in again. True when a TOTP
   * credential (enabled or pending) was there.
   */
  removeAll(userId: string): Promise<boolean>;
}

export function createSecondFactors(deps: {
  totpCredentials: TotpRepository;
  recoveryCodes: RecoveryCodesRepository;
  clock: Clock;
  random: Random;
  /** The issuer authenticator apps show beside the account (OTP_ISSUER). */
  issuer: string;
  guesses: Guesses;
}): SecondFactors {
  const { clock, random, issuer, guesses } = deps;
  const totp = createTotp({ credentials: deps.totpCredentials, clock, random, issuer, guesses });
  const backupCodes = createRecoveryCodes(BACKUP_CODES, { codes: deps.recoveryCodes, clock, random });
  const recoveryCode = createRecoveryCodes(RECOVERY_CODE, { codes: deps.recoveryCodes, clock, random });

  return {
    totp,
    backupCodes,
    twoFactorSetup: createTwoFactorSetup({ totp, backupCodes }),
    secondFactorReset: createSecondFactorReset({ recoveryCodes: recoveryCode, totp, guesses }),

    async verify(userId, code, client, options = {}) {
      // A TOTP code has 6 digits and a backup code 8, so the code says which it is.
      if (options.backupCodes !== true || BACKUP_CODES.normalise(code) === null) return totp.verify(userId, code, client);
      // The same count as a TOTP code's (per user, second factor): a backup code is no second set of tries.
      await guesses.attempt({ ip: client.ip, account: `user:${userId}`, secondFactor: true }, async () => {
        if (!(await backupCodes.spend(userId, code))) throw new CoreError("invalid_totp_code");
      });
    },

    async removeAll(userId) {
      // The credential first: once it is gone no sign-in asks for a second factor, whatever happens to the codes.
      const removed = await totp.remove(userId);
      await backupCodes.removeAll(userId);
      await recoveryCode.removeAll(userId);
      return removed;
    },
  };
}
