// TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s), the parameters every authenticator app supports.
// A code is accepted for the current step and the previous one (clock skew), and only once: the step of the
// last accepted code is claimed in one conditional write (credentials.claimStep), so a replay fails on every instance.
// Two ways in: generate + enable (latchkey makes the secret, HBP), or register (the caller made the key and
// shows it to the user itself, Faroe); either way the credential is in force only once a code has proved it.
import { Secret, TOTP } from "otpauth";
import type { TotpRepository } from "../../db/repositories/totp.ts";
import type { Clock } from "../../lib/clock.ts";
import { requestIdFromDigest } from "../../lib/ids.ts";
import type { Random } from "../../lib/random.ts";
import { constantTimeEqual, sha256Hex } from "../../lib/secrets.ts";
import { CoreError } from "../errors.ts";
import type { Guesses } from "../throttling/guesses.ts";
import type { SessionContext } from "../sessions/sessions.ts";

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

/** A user's TOTP credential: made, proved, checked once per code, removed. */
export interface Totp {
  isEnabled(userId: string): Promise<boolean>;
  /** A new secret, not yet in force until `enable` proves the user's app has it: `mfa_already_enabled`. */
  generate(userId: string, accountName: string): Promise<TotpEnrolment>;
  /** Puts a generated secret in force, once a code from it proves the user's app has it. */
  enable(userId: string, code: string, client: SessionContext): Promise<void>;
  /** Removes an enabled credential, with one of its codes. */
  disable(userId: string, code: string, client: SessionContext): Promise<void>;
  /** Checks a code of an enabled credential (the second step of a sign-in): `mfa_not_enabled`, `invalid_totp_code`, `rate_limited`. */
  verify(userId: string, code: string, client: SessionContext): Promise<void>;
  /** The user's enabled credential, or null (a generated secret not yet enabled does not count). */
  credentialOf(userId: string): Promise<TotpCredential | null>;
  /** Which of these users have an enabled credential (one query, for lists). */
  enabledAmong(userIds: string[]): Promise<Set<string>>;
  /**
   * Puts a key the caller generated in force at once, replacing any credential, once `code` (from the key, now
   * or one step ago) proves the user's app has it. Not rate limited: the caller chose the key, so a wrong code
   * guesses nothing. The code's step is recorded, so that code cannot be used again.
   */
  register(userId: string, key: Uint8Array, code: string): Promise<TotpCredential>;
  /** Removes the credential without a code (an operator's or a recovery code's decision); false when there was none. */
  remove(userId: string): Promise<boolean>;
}

export function codeFor(secret: string, timestampMs: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), digits: DIGITS, period: PERIOD_SECONDS, timestamp: timestampMs });
}

export function createTotp(deps: { credentials: TotpRepository; clock: Clock; random: Random; issuer: string; guesses: Guesses }): Totp {
  const { credentials, clock, random, issuer, guesses } = deps;

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
    return step !== null && credentials.claimStep(userId, step);
  }

  /** A rate-limited code check (per IP and per user). */
  async function checkCode(userId: string, secret: string, code: string, client: SessionContext): Promise<void> {
    await guesses.attempt({ ip: client.ip, account: `user:${userId}`, secondFactor: true }, async () => {
      if (!(await acceptCode(userId, secret, code))) throw new CoreError("invalid_totp_code");
    });
  }

  return {
    async isEnabled(userId) {
      return (await credentials.ofUser(userId))?.enabled ?? false;
    },

    async generate(userId, accountName) {
      if ((await credentials.ofUser(userId))?.enabled) throw new CoreError("mfa_already_enabled");
      const secret = new Secret({ buffer: Uint8Array.from(random.bytes(SECRET_BYTES)).buffer }).base32;
      await credentials.savePending({ userId, secret, createdAt: clock.now() });
      const uri = new TOTP({ issuer, label: accountName, secret: Secret.fromBase32(secret), digits: DIGITS, period: PERIOD_SECONDS }).toString();
      return { secret, uri, qrCodeDataUrl: await qrCodeDataUrl(uri) };
    },

    async enable(userId, code, client) {
      const current = await credentials.ofUser(userId);
      if (current?.enabled) throw new CoreError("mfa_already_enabled");
      if (!current) throw new CoreError("mfa_secret_missing");
      await checkCode(userId, current.secret, code, client);
      await credentials.enable(userId);
    },

    async disable(userId, code, client) {
      const current = await credentials.ofUser(userId);
      if (!current?.enabled) throw new CoreError("mfa_not_enabled");
      await checkCode(userId, current.secret, code, client);
      await credentials.remove(userId);
    },

    async verify(userId, code, client) {
      const current = await credentials.ofUser(userId);
      if (!current?.enabled) throw new CoreError("mfa_not_enabled");
      await checkCode(userId, current.secret, code, client);
    },

    async credentialOf(userId) {
      const current = await credentials.ofUser(userId);
      return current?.enabled ? toCredential(current) : null;
    },

    enabledAmong: (userIds) => credentials.enabledAmong(userIds),

    async register(userId, key, code) {
      // 160 bits (RFC 4226's recommendation), as latchkey's own secrets.
      if (key.length !== SECRET_BYTES) throw new CoreError("invalid_totp_secret");
      const secret = new Secret({ buffer: Uint8Array.from(key).buffer }).base32;
      const step = matchingStep(secret, code);
      if (step === null) throw new CoreError("invalid_totp_code");
      const createdAt = clock.now();
      await credentials.saveEnabled({ userId, secret, lastUsedStep: step, createdAt });
      return toCredential({ userId, secret, createdAt });
    },

    remove: (userId) => credentials.remove(userId),
  };
}

/** The QR code of an otpauth:// URI as a PNG data URL. qrcode is loaded on first use, not at start-up. */
async function qrCodeDataUrl(uri: string): Promise<string> {
  const { default: QRCode } = await import("qrcode");
  return QRCode.toDataURL(uri);
}
