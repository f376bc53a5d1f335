// Recovery codes: codes a user keeps aside for when the authenticator is not at hand, each good once. One mechanism
// for every API that has them; what differs is the kind (how many, what they look like, whether they are shown again)
// and what spending one does, which the flows beside this file decide (second-factors/index.ts, second-factor-reset.ts).
//
// Found and spent by a digest of the user's id and the code: a code is only ever good for its own account, and two
// users' equal codes do not show as equal digests. Codes are short (27 to 40 bits), so every check of one sits behind
// the guess limits (core/throttling/guesses.ts), in the flow that spends it.
import type { RecoveryCodesRepository } from "../../db/repositories/recovery-codes.ts";
import type { Clock } from "../../lib/clock.ts";
import { randomDigits, randomRequestId, randomShortCode } from "../../lib/ids.ts";
import type { Random } from "../../lib/random.ts";
import { sha256Hex } from "../../lib/secrets.ts";

/** What one API's recovery codes are. */
export interface RecoveryCodeKind {
  /** Stored with each code, so a user's codes of two kinds never mix. */
  purpose: string;
  /** How many are issued together; issuing replaces the user's codes of this kind. */
  count: number;
  draw(random: Random): string;
  /** A typed code in the form codes of this kind are issued in, or null when it cannot be one. */
  normalise(typed: string): string | null;
  /**
   * Whether the API shows the codes again after issuing them. Then each is kept as it is beside its digest, and
   * whoever can read the database can read it (as they could read the TOTP secret it stands in for).
   */
  shownAgain: boolean;
}

/**
 * Backup codes: 4 codes of 8 digits (26.6 bits each), each signing in once in place of a TOTP code (WolfPal). Shown
 * again because WolfPal's GET /account/two-factor/backup-codes downloads the unused ones as a text file.
 */
export const BACKUP_CODES: RecoveryCodeKind = {
  purpose: "backup-code",
  count: 4,
  draw: (random) => randomDigits(random, 8),
  normalise: (typed) => (/^\d{8}$/.test(typed) ? typed : null),
  shownAgain: true,
};

/**
 * The recovery code: one code of 8 characters (40 bits, lib/ids.ts randomShortCode) that turns the second factor
 * off, typed in either case (Faroe). Shown again because Faroe's GET /users/[id]/recovery-code answers it.
 */
export const RECOVERY_CODE: RecoveryCodeKind = {
  purpose: "recovery-code",
  count: 1,
  draw: randomShortCode,
  normalise: (typed) => typed.toUpperCase(),
  shownAgain: true,
};

/** A user's recovery codes of one kind. */
export interface RecoveryCodes {
  /** Replaces the user's codes by `kind.count` new ones, and answers them. */
  issue(userId: string): Promise<string[]>;
  /** The user's unused codes, as issued (none for a kind that is not shown again). */
  list(userId: string): Promise<string[]>;
  /**
   * Spends a code: true once per code, even for two requests at the same moment. Not rate limited here: the flow
   * that spends one counts the try (guesses.attempt) around this call.
   */
  spend(userId: string, typed: string): Promise<boolean>;
  removeAll(userId: string): Promise<void>;
}

export function createRecoveryCodes(kind: RecoveryCodeKind, deps: { codes: RecoveryCodesRepository; clock: Clock; random: Random }): RecoveryCodes {
  const { codes, clock, random } = deps;
  const digest = (userId: string, code: string) => sha256Hex(`${userId}:${code}`);

  return {
    async issue(userId) {
      const issued = Array.from({ length: kind.count }, () => kind.draw(random));
      const stored = issued.map((code) => ({ id: randomRequestId(random), codeHash: digest(userId, code), code: kind.shownAgain ? code : null }));
      await codes.replace(userId, kind.purpose, stored, clock.now());
      return issued;
    },

    list: (userId) => codes.codesOf(userId, kind.purpose),

    async spend(userId, typed) {
      const code = kind.normalise(typed);
      return code !== null && codes.spend(userId, kind.purpose, digest(userId, code));
    },

    removeAll: (userId) => codes.removeAll(userId, kind.purpose),
  };
}
