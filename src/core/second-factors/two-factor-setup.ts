// Setting up the second factor with backup codes (WolfPal's /account/two-factor): a TOTP secret and 4 backup codes
// together; turning TOTP off takes the backup codes with it.
import type { SessionContext } from "../sessions/sessions.ts";
import type { RecoveryCodes } from "./recovery-codes.ts";
import type { Totp, TotpEnrolment } from "./totp.ts";

export interface TwoFactorSetup {
  /** A new secret (not in force until `enable`) and a new set of backup codes. */
  start(userId: string, accountName: string): Promise<TotpEnrolment & { backupCodes: string[] }>;
  enable(userId: string, code: string, client: SessionContext): Promise<void>;
  disable(userId: string, code: string, client: SessionContext): Promise<void>;
}

export function createTwoFactorSetup(deps: { totp: Totp; backupCodes: RecoveryCodes }): TwoFactorSetup {
  const { totp, backupCodes } = deps;

  return {
    async start(userId, accountName) {
      const enrolment = await totp.generate(userId, accountName);
      return { ...enrolment, backupCodes: await backupCodes.issue(userId) };
    },

    enable: (userId, code, client) => totp.enable(userId, code, client),

    async disable(userId, code, client) {
      await totp.disable(userId, code, client);
      await backupCodes.removeAll(userId);
    },
  };
}
