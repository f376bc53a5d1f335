// TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s), the parameters every authenticator app supports.
// A code is accepted for the current step and the previous one (clock skew), and only once: the step of the
// last accepted code is recorded with a conditional UPDATE, so a replay fails on every instance.
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";
import type { Database } from "../db/client.ts";
import { totpCredentials } from "../db/schema.ts";
import type { Clock } from "./clock.ts";
import { CoreError } from "./errors.ts";
import type { Guesses } from "./guesses.ts";
import { constantTimeEqual } from "./secrets.ts";
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

export type Totp = ReturnType<typeof createTotp>;

export function codeFor(secret: string, timestampMs: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), digits: DIGITS, period: PERIOD_SECONDS, timestamp: timestampMs });
}

export function createTotp(deps: { db: Database; clock: Clock; issuer: string; guesses: Guesses }) {
  const { db, clock, issuer, guesses } = deps;

  async function credential(userId: string) {
    return (await db.select().from(totpCredentials).where(eq(totpCredentials.userId, userId)).limit(1))[0];
  }

  /** True when `code` is right for this secret now (or one step ago) and that step was not used before; records it. */
  async function acceptCode(userId: string, secret: string, code: string): Promise<boolean> {
    // 6 digits are 20 bits: only the rate limit in front (guesses, per user) keeps this from being brute-forced.
    if (!/^\d{6}$/.test(code)) return false;
    const now = clock.now();
    const currentStep = Math.floor(now / 1000 / PERIOD_SECONDS);
    for (const step of [currentStep, currentStep - 1]) {
      if (!constantTimeEqual(codeFor(secret, step * PERIOD_SECONDS * 1000), code)) continue;
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
    await guesses.attempt({ ip: client.ip, account: `user:${userId}` }, async () => {
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
      const secret = new Secret({ size: SECRET_BYTES }).base32;
      await db
        .insert(totpCredentials)
        .values({ userId, secret, enabled: false, lastUsedStep: null, createdAt: clock.now() })
        .onConflictDoUpdate({ target: totpCredentials.userId, set: { secret, enabled: false, lastUsedStep: null } });
      const uri = new TOTP({ issuer, label: accountName, secret: Secret.fromBase32(secret), digits: DIGITS, period: PERIOD_SECONDS }).toString();
      return { secret, uri, qrCodeDataUrl: await QRCode.toDataURL(uri) };
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
  };
}
