// Setting up the second factor with backup codes (WolfPal's /account/two-factor): TOTP secret and 4 backup codes
// together; turning TOTP off takes the backup codes with it.
import type { BackupCodes } from "./backup-codes.ts";
import type { SessionContext } from "./sessions.ts";
import type { Totp, TotpEnrolment } from "./second-factors/totp.ts";

export type TwoFactorSetup = ReturnType<typeof createTwoFactorSetup>;

export function createTwoFactorSetup(deps: { totp: Totp; backupCodes: BackupCodes }) {
  const { totp, backupCodes } = deps;

  return {
    /** A new secret (not in force until `enable`) and a new set of backup codes. */
    async start(userId: string, accountName: string): Promise<TotpEnrolment & { backupCodes: string[] }> {
      const enrolment = await totp.generate(userId, accountName);
      return { ...enrolment, backupCodes: await backupCodes.replace(userId) };
    },

    enable: (userId: string, code: string, client: SessionContext) => totp.enable(userId, code, client),

    async disable(userId: string, code: string, client: SessionContext): Promise<void> {
      await totp.disable(userId, code, client);
      await backupCodes.removeAll(userId);
    },
  };
}
