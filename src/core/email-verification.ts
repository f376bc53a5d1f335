// Email-verification requests (Faroe's model): the caller asks for a request for an address, mails the code
// itself, and the user types the code back. A verified request sets the account's address and marks it verified.
// The code is stored as it is because the API shows it again (GET); it lives 10 minutes and allows 5 tries.
import { and, eq, lte } from "drizzle-orm";
import type { Config } from "../config.ts";
import type { Database } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import type { Clock } from "../lib/clock.ts";
import { randomRequestId, randomShortCode } from "../lib/ids.ts";
import type { Random } from "../lib/random.ts";
import { CoreError, isCoreError } from "./errors.ts";
import type { Guesses } from "./guesses.ts";
import type { RateLimits } from "./rate-limits.ts";
import { constantTimeEqual } from "../lib/secrets.ts";
import type { SessionContext } from "./sessions.ts";
import { normaliseEmail, type Users } from "./users.ts";

const EXPIRES_IN_SECONDS = 10 * 60;
/** Wrong codes a request survives; the next try deletes it. 40-bit codes: 5 tries is a 5-in-10^12 chance. */
const MAX_ATTEMPTS = 5;
/** Requests per user (each is a mail the caller sends). Faroe: a bucket of 3 refilled one per 5 minutes. */
const CREATE_LIMIT = { max: 3, windowSeconds: 15 * 60 };

export interface EmailVerificationRequest {
  id: string;
  userId: string;
  /** Normalised (lower-cased), as every address latchkey keeps. */
  email: string;
  code: string;
  createdAt: number;
  expiresAt: number;
}

export type EmailVerification = ReturnType<typeof createEmailVerification>;

export function createEmailVerification(deps: {
  db: Database;
  clock: Clock;
  random: Random;
  auth: Config["auth"];
  users: Users;
  rateLimits: RateLimits;
  guesses: Guesses;
}) {
  const { db, clock, random, auth, users, rateLimits, guesses } = deps;
  const { emailVerificationRequests: table, passwordResetRequests, users: usersTable } = db.tables;

  function toRequest(row: typeof table.$inferSelect): EmailVerificationRequest {
    const { id, userId, email, code, createdAt, expiresAt } = row;
    return { id, userId, email, code, createdAt, expiresAt };
  }

  /**
   * verify(), one try at a request at a time (on every instance), so only wrong codes count: parallel tries with
   * the right code do not count each other as failures. The first one verifies (and deletes the request); the
   * others then find no request, as a later try would.
   */
  async function verifyAlone(userId: string, requestId: string, code: string, client: SessionContext): Promise<void> {
    const [row] = await db.select().from(table).where(and(eq(table.id, requestId), eq(table.userId, userId))).limit(1);
    if (!row) throw new CoreError("request_not_found");
    if (row.expiresAt <= clock.now() || row.attempts >= MAX_ATTEMPTS) {
      await db.delete(table).where(eq(table.id, row.id));
      throw new CoreError(row.expiresAt <= clock.now() ? "request_not_found" : "rate_limited");
    }
    try {
      await guesses.attempt({ ip: client.ip }, async () => {
        if (!constantTimeEqual(row.code, code.toUpperCase())) throw new CoreError("incorrect_code");
      });
    } catch (error) {
      if (isCoreError(error, "incorrect_code")) await db.update(table).set({ attempts: row.attempts + 1 }).where(eq(table.id, row.id));
      throw error;
    }

    await users.assertEmailAvailable(userId, row.email);
    const user = await users.findById(userId);
    if (!user) throw new CoreError("user_not_found");
    const active = user.active || auth.verifyEmails;
    try {
      await db.transaction(async (tx) => {
        const claimed = await tx.delete(table).where(eq(table.id, row.id)).returning({ id: table.id });
        // Deleted meanwhile (DELETE of the request, or another of the user's verified): nothing to claim.
        if (claimed.length === 0) throw new CoreError("request_not_found");
        await tx
          .update(usersTable)
          .set({ email: row.email, emailVerified: true, active, updatedAt: clock.now() })
          .where(eq(usersTable.id, userId));
        await tx.delete(passwordResetRequests).where(eq(passwordResetRequests.userId, userId));
        await tx.delete(table).where(eq(table.email, row.email));
      });
    } catch (error) {
      if (isUniqueViolation(error, "users", "email")) throw new CoreError("email_unavailable");
      throw error;
    }
  }

  return {
    /** `user_not_found`, `rate_limited`, `email_unavailable` (another account has it) or `email_domain_not_allowed`. */
    async create(userId: string, email: string): Promise<EmailVerificationRequest> {
      if (!(await users.findById(userId))) throw new CoreError("user_not_found");
      await rateLimits.consume({ key: `email-verification:user:${userId}`, ...CREATE_LIMIT });
      // The user's own current address is allowed: verifying it is the usual first request.
      await users.assertEmailAvailable(userId, email);
      const now = clock.now();
      await db.delete(table).where(and(eq(table.userId, userId), lte(table.expiresAt, now)));
      const row = {
        id: randomRequestId(random),
        userId,
        email: normaliseEmail(email),
        code: randomShortCode(random),
        attempts: 0,
        createdAt: now,
        expiresAt: now + EXPIRES_IN_SECONDS * 1000,
      };
      await db.insert(table).values(row);
      return toRequest(row);
    },

    /** The user's live request, or null; an expired one is deleted on the way. */
    async get(userId: string, requestId: string): Promise<EmailVerificationRequest | null> {
      const [row] = await db.select().from(table).where(and(eq(table.id, requestId), eq(table.userId, userId))).limit(1);
      if (!row) return null;
      if (row.expiresAt <= clock.now()) {
        await db.delete(table).where(eq(table.id, row.id));
        return null;
      }
      return toRequest(row);
    },

    async delete(userId: string, requestId: string): Promise<boolean> {
      const deleted = await db.delete(table).where(and(eq(table.id, requestId), eq(table.userId, userId))).returning({ id: table.id });
      return deleted.length > 0;
    },

    /**
     * Proves the address with the code: the account takes it as its address, verified (and, where activation is
     * by email, VERIFY_EMAILS=true, active). The user's password-reset requests and every request for the address
     * go. `request_not_found`, `rate_limited` (the 6th try, which deletes the request), `incorrect_code`,
     * `email_unavailable` (another account took the address meanwhile).
     */
    async verify(userId: string, requestId: string, code: string, client: SessionContext): Promise<void> {
      await db.withLock(`email-verification-request:${requestId}`, () => verifyAlone(userId, requestId, code, client));
    },
  };
}
