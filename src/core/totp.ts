// TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s), the parameters every authenticator app supports.
// A code is accepted for the current step and the previous one (clock skew), and only once: the step of the
// last accepted code is recorded with a conditional UPDATE, so a replay fails on every instance.
// Two ways in: generate + enable (latchkey makes the secret, HBP), or register (the caller made the key and
// shows it to the user itself, Faroe); either way the credential is in force only once a code has proved it.
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import type { Database } from "../db/client.ts";
import type { Clock } from "../lib/clock.ts";
import { requestIdFromDigest } from "../lib/ids.ts";
import type { Random } from "../lib/random.ts";
import { CoreError } from "./errors.ts";
import type { Guesses } from "./guesses.ts";
import { constantTimeEqual, sha256Hex } from "../lib/secrets.ts";
import type { SessionContext } from "./sessions.ts";

const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** 160 bits, RFC 4226's recommended secret length. */
const SECRET_BYTES = 20;

export interface TotpEnrolment {
  /** Base32, as authenticator apps take it by hand. */
  secret: string;
  /** The otpauth:// URI apps scan. */
  uri: string;
  /** The URI as a QR code, a PNG data URL. */
  qrCodeDataUrl: string;
}

/** An enabled credential, as an API that hands keys to the caller (Faroe) shows it. */
export interface TotpCredential {
  /**
   * The table has no id column (one credential per user), so the id is derived from the user and the secret:
   * stable while the credential stands, new when it is replaced.
   */
  id: string;
  userId: string;
  /** The raw key (20 bytes for every secret latchkey makes or accepts). */
  key: Uint8Array;
  createdAt: number;
}

export type Totp = ReturnType<typeof createTotp>;

export function codeFor(secret: string, timestampMs: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), digits: DIGITS, period: PERIOD_SECONDS, timestamp: timestampMs });
}

export function createTotp(deps: { db: Database; clock: Clock; random: Random; issuer: string; guesses: Guesses }) {
  const { db, clock, random, issuer, guesses } = deps;
  const { totpCredentials } = db.tables;

  // Every password sign-in asks whether the user has TOTP: compiled once; the primary key, so no LIMIT (a bound
  // LIMIT is slow in bun:sqlite).
  const credential = db.lookup(db.select().from(totpCredentials).where(eq(totpCredentials.userId, sql.placeholder("key"))));

  /** The time step (now or one step ago) `code` is right for, or null. */
  function matchingStep(secret: string, code: string): number | null {
    if (!/^\d{6}$/.test(code)) return null;
    const currentStep = Math.floor(clock.now() / 1000 / PERIOD_SECONDS);
    for (const step of [currentStep, currentStep - 1]) {
      if (constantTimeEqual(codeFor(secret, step * PERIOD_SECONDS * 1000), code)) return step;
    }
    return null;
  }

  function toCredential(row: { userId: string; secret: string; createdAt: number }): TotpCredential {
    return {
      id: requestIdFromDigest(Buffer.from(sha256Hex(`totp-credential:${row.userId}:${row.secret}`), "hex")),
      userId: row.userId,
      key: Secret.fromBase32(row.secret).bytes,
      createdAt: row.createdAt,
    };
  }

  /** True when `code` is right for this secret now (or one step ago) and that step was not used before; records it. */
  async function acceptCode(userId: string, secret: string, code: string): Promise<boolean> {
    // 6 digits are 20 bits: only the rate limit in front (guesses, per user) keeps this from being brute-forced.
    const step = matchingStep(secret, code);
    if (step !== null) {
      const claimed = await db
        .update(totpCredentials)
        .set({ lastUsedStep: step })
        .where(
          and(
            eq(totpCredentials.userId, userId),
            or(isNull(totpCredentials.lastUsedStep), lt(totpCredentials.lastUsedStep, step)),
          ),
        )
        .returning({ userId: totpCredentials.userId });
      return claimed.length > 0;
    }
    return false;
  }

  /** A rate-limited code check (per IP and per user). */
  async function checkCode(userId: string, secret: string, code: string, client: SessionContext): Promise<void> {
    await guesses.attempt({ ip: client.ip, account: `user:${userId}`, secondFactor: true }, async () => {
      if (!(await acceptCode(userId, secret, code))) throw new CoreError("invalid_totp_code");
    });
  }

  return {
    async isEnabled(userId: string): Promise<boolean> {
      return (await credential(userId))?.enabled ?? false;
    },

    /** A new secret, not yet in force until `enable` proves the user's app has it. */
    async generate(userId: string, accountName: string): Promise<TotpEnrolment> {
      if ((await credential(userId))?.enabled) throw new CoreError("mfa_already_enabled");
      const secret = new Secret({ buffer: Uint8Array.from(random.bytes(SECRET_BYTES)).buffer }).base32;
      await db
        .insert(totpCredentials)
        .values({ userId, secret, enabled: false, lastUsedStep: null, createdAt: clock.now() })
        .onConflictDoUpdate({ target: totpCredentials.userId, set: { secret, enabled: false, lastUsedStep: null } });
      const uri = new TOTP({ issuer, label: accountName, secret: Secret.fromBase32(secret), digits: DIGITS, period: PERIOD_SECONDS }).toString();
      return { secret, uri, qrCodeDataUrl: await qrCodeDataUrl(uri) };
    },

    /** Puts a generated secret in force, once a code from it proves the user's app has it. */
    async enable(userId: string, code: string, client: SessionContext): Promise<void> {
      const current = await credential(userId);
      if (current?.enabled) throw new CoreError("mfa_already_enabled");
      if (!current) throw new CoreError("mfa_secret_missing");
      await checkCode(userId, current.secret, code, client);
      await db.update(totpCredentials).set({ enabled: true }).where(eq(totpCredentials.userId, userId));
    },

    async disable(userId: string, code: string, client: SessionContext): Promise<void> {
      const current = await credential(userId);
      if (!current?.enabled) throw new CoreError("mfa_not_enabled");
      await checkCode(userId, current.secret, code, client);
      await db.delete(totpCredentials).where(eq(totpCredentials.userId, userId));
    },

    /** Checks a code of an enabled credential (the second step of a sign-in). */
    async verify(userId: string, code: string, client: SessionContext): Promise<void> {
      const current = await credential(userId);
      if (!current?.enabled) throw new CoreError("mfa_not_enabled");
      await checkCode(userId, current.secret, code, client);
    },

    /** The user's enabled credential, or null (a generated secret not yet enabled does not count). */
    async credentialOf(userId: string): Promise<TotpCredential | null> {
      const current = await credential(userId);
      return current?.enabled ? toCredential(current) : null;
    },

    /** Which of these users have an enabled credential (one query, for lists). */
    async enabledAmong(userIds: string[]): Promise<Set<string>> {
      if (userIds.length === 0) return new Set();
      const rows = await db
        .select({ userId: totpCredentials.userId })
        .from(totpCredentials)
        .where(and(inArray(totpCredentials.userId, userIds), eq(totpCredentials.enabled, true)));
      return new Set(rows.map((row) => row.userId));
    },

    /**
     * Puts a key the caller generated in force at once, replacing any credential, once `code` (from the key, now
     * or one step ago) proves the user's app has it. Not rate limited: the caller chose the key, so a wrong code
     * guesses nothing. The code's step is recorded, so that code cannot be used again.
     */
    async register(userId: string, key: Uint8Array, code: string): Promise<TotpCredential> {
      // 160 bits (RFC 4226's recommendation), as latchkey's own secrets.
      if (key.length !== SECRET_BYTES) throw new CoreError("invalid_totp_secret");
      const secret = new Secret({ buffer: Uint8Array.from(key).buffer }).base32;
      const step = matchingStep(secret, code);
      if (step === null) throw new CoreError("invalid_totp_code");
      const createdAt = clock.now();
      const values = { secret, enabled: true, lastUsedStep: step, createdAt };
      await db
        .insert(totpCredentials)
        .values({ userId, ...values })
        .onConflictDoUpdate({ target: totpCredentials.userId, set: values });
      return toCredential({ userId, secret, createdAt });
    },

    /** Removes the credential without a code (an operator's or a recovery code's decision); false when there was none. */
    async remove(userId: string): Promise<boolean> {
      const deleted = await db.delete(totpCredentials).where(eq(totpCredentials.userId, userId)).returning({ userId: totpCredentials.userId });
      return deleted.length > 0;
    },
  };
}

/** The QR code of an otpauth:// URI as a PNG data URL. qrcode is loaded on first use, not at start-up. */
async function qrCodeDataUrl(uri: string): Promise<string> {
  const { default: QRCode } = await import("qrcode");
  return QRCode.toDataURL(uri);
}
