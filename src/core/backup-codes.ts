// Backup codes for the second factor (WolfPal: 4 codes of 8 digits, each good for one sign-in). The API lets the
// user download them again, so each is kept as it is (in `data`) beside a digest used to find and spend it;
// whoever reads the database could read the TOTP secret they stand in for anyway. Kept in one_time_codes with an
// expiry that never comes: they last until used or replaced.
import { and, eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { Clock } from "../lib/clock.ts";
import { randomDigits } from "../lib/ids.ts";
import type { Random } from "../lib/random.ts";
import { sha256Hex } from "../lib/secrets.ts";

const PURPOSE = "backup-code";
const COUNT = 4;
const DIGITS = 8;
const NEVER = Number.MAX_SAFE_INTEGER;

/** The digest names the user too: two users drawing the same 8 digits must not collide in the unique index. */
const digest = (userId: string, code: string) => sha256Hex(`${userId}:${code}`);

export type BackupCodes = ReturnType<typeof createBackupCodes>;

export function createBackupCodes(deps: { db: Database; clock: Clock; random: Random }) {
  const { db, clock, random } = deps;
  const { oneTimeCodes } = db.tables;
  const ofUser = (userId: string) => and(eq(oneTimeCodes.userId, userId), eq(oneTimeCodes.purpose, PURPOSE));

  return {
    /** Replaces the user's codes with 4 new ones. */
    async replace(userId: string): Promise<string[]> {
      const codes = Array.from({ length: COUNT }, () => randomDigits(random, DIGITS));
      const now = clock.now();
      await db.transaction(async (tx) => {
        await tx.delete(oneTimeCodes).where(ofUser(userId));
        await tx
          .insert(oneTimeCodes)
          .values(codes.map((code) => ({ id: random.uuid(), userId, purpose: PURPOSE, secretHash: digest(userId, code), data: { code }, expiresAt: NEVER, createdAt: now })));
      });
      return codes;
    },

    /** The codes not yet used. */
    async list(userId: string): Promise<string[]> {
      const rows = await db.select({ data: oneTimeCodes.data }).from(oneTimeCodes).where(ofUser(userId));
      return rows.map((row) => String(row.data.code));
    },

    /** Spends a code: true once per code, even for two requests at the same moment (one conditional DELETE). */
    async spend(userId: string, code: string): Promise<boolean> {
      if (!new RegExp(`^\\d{${DIGITS}}$`).test(code)) return false;
      const spent = await db
        .delete(oneTimeCodes)
        .where(and(ofUser(userId), eq(oneTimeCodes.secretHash, digest(userId, code))))
        .returning({ id: oneTimeCodes.id });
      return spent.length > 0;
    },

    async removeAll(userId: string): Promise<void> {
      await db.delete(oneTimeCodes).where(ofUser(userId));
    },
  };
}
