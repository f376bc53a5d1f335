// Password-reset requests (Faroe's model): the caller creates a request for an address and mails its code; the
// request then proves the address (the code), the second factor when the user has one (TOTP, or a recovery code
// that turns it off), and finally sets the new password. 10 minutes; 5 wrong codes delete the request.
// The code is shown once, at creation, and stored as argon2id (a person types it, and it is short).
import { and, eq, lte } from "drizzle-orm";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import type { PasswordResetRequestRow as Row } from "../db/schema.ts";
import type { Clock } from "../lib/clock.ts";
import { randomRequestId, randomShortCode } from "../lib/ids.ts";
import type { Random } from "../lib/random.ts";
import { CoreError, isCoreError } from "./errors.ts";
import type { Guesses } from "./guesses.ts";
import type { PasswordHasher } from "./passwords.ts";
import type { RateLimits } from "./rate-limits.ts";
import type { SecondFactorReset } from "./second-factors/second-factor-reset.ts";
import type { SessionContext, Sessions } from "./sessions.ts";
import type { Totp } from "./second-factors/totp.ts";
import type { User, Users } from "./users.ts";

const EXPIRES_IN_SECONDS = 10 * 60;
/** Wrong codes a request survives; the next try deletes it. */
const MAX_ATTEMPTS = 5;
/** Requests per client IP (when known) and per user. Faroe: a bucket of 3 refilled one per 5 minutes. */
const CREATE_LIMIT = { max: 3, windowSeconds: 15 * 60 };

export interface PasswordResetRequest {
  id: string;
  userId: string;
  /** The account's address (requests are deleted when it changes through a verification request). */
  email: string;
  createdAt: number;
  expiresAt: number;
  emailVerified: boolean;
  twoFactorVerified: boolean;
}

export type ResetRequests = ReturnType<typeof createResetRequests>;

export function createResetRequests(deps: {
  db: Database;
  clock: Clock;
  random: Random;
  auth: Config["auth"];
  users: Users;
  passwords: PasswordHasher;
  totp: Totp;
  secondFactorReset: SecondFactorReset;
  sessions: Sessions;
  rateLimits: RateLimits;
  guesses: Guesses;
}) {
  const { db, clock, random, auth, users, passwords, totp, secondFactorReset, sessions, rateLimits, guesses } = deps;
  const { passwordResetRequests: table, users: usersTable } = db.tables;

  function toRequest(row: Row, user: User): PasswordResetRequest {
    const { id, userId, createdAt, expiresAt, emailVerified, twoFactorVerified } = row;
    return { id, userId, email: user.email ?? "", createdAt, expiresAt, emailVerified, twoFactorVerified };
  }

  /** The live request and its user; `request_not_found` when missing or expired (an expired one is deleted). */
  async function live(requestId: string): Promise<{ row: Row; user: User }> {
    const [row] = await db.select().from(table).where(eq(table.id, requestId)).limit(1);
    if (!row) throw new CoreError("request_not_found");
    if (row.expiresAt <= clock.now()) {
      await db.delete(table).where(eq(table.id, row.id));
      throw new CoreError("request_not_found");
    }
    const user = await users.findById(row.userId);
    if (!user) throw new CoreError("request_not_found");
    return { row, user };
  }

  async function mark(requestId: string, set: Partial<Pick<Row, "emailVerified" | "twoFactorVerified" | "attempts">>): Promise<void> {
    await db.update(table).set(set).where(eq(table.id, requestId));
  }

  return {
    /** `user_not_found` for an unknown address, `rate_limited`. The code is in the answer and nowhere else. */
    async create(email: string, client: SessionContext): Promise<{ request: PasswordResetRequest; code: string }> {
      const user = await users.findByEmail(email);
      if (!user) throw new CoreError("user_not_found");
      if (client.ip) await rateLimits.consume({ key: `password-reset-request:ip:${client.ip}`, ...CREATE_LIMIT });
      await rateLimits.consume({ key: `password-reset-request:user:${user.id}`, ...CREATE_LIMIT });
      const code = randomShortCode(random);
      const codeHash = await passwords.hash(code);
      const now = clock.now();
      // Earlier requests that never proved the address are superseded; expired ones are swept.
      await db.delete(table).where(and(eq(table.userId, user.id), eq(table.emailVerified, false)));
      await db.delete(table).where(and(eq(table.userId, user.id), lte(table.expiresAt, now)));
      const row: Row = {
        id: randomRequestId(random),
        userId: user.id,
        codeHash,
        emailVerified: false,
        twoFactorVerified: false,
        attempts: 0,
        createdAt: now,
        expiresAt: now + EXPIRES_IN_SECONDS * 1000,
      };
      await db.insert(table).values(row);
      return { request: toRequest(row, user), code };
    },

    async get(requestId: string): Promise<PasswordResetRequest | null> {
      try {
        const { row, user } = await live(requestId);
        return toRequest(row, user);
      } catch (error) {
        if (error instanceof CoreError && error.code === "request_not_found") return null;
        throw error;
      }
    },

    /** The request's user; `request_not_found`. */
    async userOf(requestId: string): Promise<User> {
      return (await live(requestId)).user;
    },

    async delete(requestId: string): Promise<boolean> {
      const deleted = await db.delete(table).where(eq(table.id, requestId)).returning({ id: table.id });
      return deleted.length > 0;
    },

    /**
     * The mailed code proves the address. `request_not_found`, `rate_limited` (after 5 wrong codes: the try
     * deletes the request), `incorrect_code`. Tries at one request run one at a time, on every instance, so
     * only wrong codes count: parallel tries with the right code all succeed instead of each counting the
     * others as failures (and deleting the request). Waiting in line is the only cost (~60 ms of argon2id a try).
     */
    async verifyEmail(requestId: string, code: string, client: SessionContext): Promise<void> {
      await db.withLock(`password-reset-request:${requestId}`, async () => {
        const { row } = await live(requestId);
        if (row.attempts >= MAX_ATTEMPTS) {
          await db.delete(table).where(eq(table.id, row.id));
          throw new CoreError("rate_limited");
        }
        try {
          await guesses.attempt({ ip: client.ip }, async () => {
            if (!(await passwords.verify(code.toUpperCase(), row.codeHash))) throw new CoreError("incorrect_code");
          });
        } catch (error) {
          if (isCoreError(error, "incorrect_code")) await mark(row.id, { attempts: row.attempts + 1 });
          throw error;
        }
        await mark(row.id, { emailVerified: true, attempts: 0 });
      });
    },

    /** A TOTP code of the user proves the second factor: `mfa_not_enabled`, `rate_limited`, `invalid_totp_code`. */
    async verifyTotp(requestId: string, code: string, client: SessionContext): Promise<void> {
      const { row } = await live(requestId);
      await totp.verify(row.userId, code, client);
      await mark(row.id, { twoFactorVerified: true });
    },

    /**
     * The recovery code turns the user's second factor off (so it no longer stands in the way of the reset) and
     * is replaced; answers the new one. Only once the request has proved the address.
     */
    async resetSecondFactor(requestId: string, recoveryCode: string, client: SessionContext): Promise<string> {
      const { row } = await live(requestId);
      if (!row.emailVerified) throw new CoreError("reset_email_not_verified");
      const newCode = await secondFactorReset.reset(row.userId, recoveryCode, client);
      await mark(row.id, { twoFactorVerified: true });
      return newCode;
    },

    /**
     * Sets the new password once the request proved the address and, for a user with TOTP, the second factor.
     * The user's reset requests and sessions end; the address counts as verified (and, where activation is by
     * email, the account as active). `request_not_found`, `reset_email_not_verified`,
     * `reset_second_factor_not_verified`, and users.checkPassword's codes.
     */
    async resetPassword(requestId: string, newPassword: string): Promise<User> {
      const { row, user } = await live(requestId);
      if (!row.emailVerified) throw new CoreError("reset_email_not_verified");
      if (!row.twoFactorVerified && (await totp.isEnabled(row.userId))) throw new CoreError("reset_second_factor_not_verified");
      const accepted = await users.checkPassword(newPassword);
      const passwordHash = await passwords.hash(accepted);
      const active = user.active || auth.verifyEmails;
      await db.transaction(async (tx) => {
        // Claimed by deleting it: a request sets one password, even under two requests at the same moment.
        const claimed = await tx.delete(table).where(eq(table.id, row.id)).returning({ id: table.id });
        if (claimed.length === 0) throw new CoreError("request_not_found");
        await tx.delete(table).where(eq(table.userId, row.userId));
        await tx
          .update(usersTable)
          .set({ passwordHash, emailVerified: true, active, updatedAt: clock.now() })
          .where(eq(usersTable.id, row.userId));
      });
      // Whoever knew the old password must not stay signed in.
      await sessions.revokeAllForUser(row.userId);
      return (await users.findById(row.userId))!;
    },
  };
}
