// Password-reset requests (Faroe's model): the caller creates a request for an address and mails its code; the
// request then proves the address (the code), the second factor when the user has one (TOTP, or a recovery code
// that turns it off), and finally sets the new password. A request of the challenge mechanism (purposes.ts: 10
// minutes, 5 wrong codes, the code shown once and kept as argon2id); the steps it passed are in its data.
import type { Config } from "../../config.ts";
import { CoreError } from "../errors.ts";
import type { PasswordHasher } from "../passwords/passwords.ts";
import type { RateLimits } from "../throttling/rate-limits.ts";
import type { SecondFactorReset } from "../second-factors/second-factor-reset.ts";
import type { Totp } from "../second-factors/totp.ts";
import type { SessionContext, Sessions } from "../sessions/sessions.ts";
import type { User, Users } from "../accounts/users.ts";
import type { ChallengeRequest, Challenges } from "./challenges.ts";

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

export interface ResetRequests {
  /** `user_not_found` for an unknown address, `rate_limited`. The code is in the answer and nowhere else. */
  create(email: string, client: SessionContext): Promise<{ request: PasswordResetRequest; code: string }>;
  get(requestId: string): Promise<PasswordResetRequest | null>;
  /** The request's user; `request_not_found`. */
  userOf(requestId: string): Promise<User>;
  delete(requestId: string): Promise<boolean>;
  /**
   * The mailed code proves the address. `request_not_found`, `rate_limited` (after 5 wrong codes: the try deletes
   * the request), `incorrect_code`. Tries at one request wait in line (~60 ms of argon2id a try): parallel tries
   * with the right code all succeed instead of each counting the others as failures (and deleting the request).
   */
  verifyEmail(requestId: string, code: string, client: SessionContext): Promise<void>;
  /** A TOTP code of the user proves the second factor: `mfa_not_enabled`, `rate_limited`, `invalid_totp_code`. */
  verifyTotp(requestId: string, code: string, client: SessionContext): Promise<void>;
  /**
   * The recovery code turns the user's second factor off (so it no longer stands in the way of the reset) and is
   * replaced; answers the new one. Only once the request has proved the address.
   */
  resetSecondFactor(requestId: string, recoveryCode: string, client: SessionContext): Promise<string>;
  /**
   * Sets the new password once the request proved the address and, for a user with TOTP, the second factor. The
   * user's reset requests and sessions end; the address counts as verified (and, where activation is by email, the
   * account as active). `request_not_found`, `reset_email_not_verified`, `reset_second_factor_not_verified`, and
   * users.checkPassword's codes.
   */
  resetPassword(requestId: string, newPassword: string): Promise<User>;
}

/** The steps a request passed, as its data keeps them. */
interface Steps {
  emailVerified: boolean;
  twoFactorVerified: boolean;
}

const stepsOf = (request: ChallengeRequest): Steps => ({
  emailVerified: request.data.emailVerified === true,
  twoFactorVerified: request.data.twoFactorVerified === true,
});

function toRequest(request: ChallengeRequest, user: User): PasswordResetRequest {
  const { id, userId, createdAt, expiresAt } = request;
  return { id, userId, email: user.email ?? "", createdAt, expiresAt, ...stepsOf(request) };
}

export function createResetRequests(deps: {
  auth: Config["auth"];
  challenges: Challenges;
  users: Users;
  passwords: PasswordHasher;
  totp: Totp;
  secondFactorReset: SecondFactorReset;
  sessions: Sessions;
  rateLimits: RateLimits;
}): ResetRequests {
  const { auth, challenges, users, passwords, totp, secondFactorReset, sessions, rateLimits } = deps;

  /** The live request and its user; `request_not_found` when missing or expired (an expired one is deleted). */
  async function live(requestId: string): Promise<{ request: ChallengeRequest; user: User }> {
    const request = await challenges.liveRequest("password-reset-request", requestId);
    const user = request && (await users.findById(request.userId));
    if (!request || !user) throw new CoreError("request_not_found");
    return { request, user };
  }

  const mark = (requestId: string, steps: Partial<Steps>, options: { attempts?: number } = {}) =>
    challenges.updateRequest(requestId, { data: steps, ...options });

  return {
    async create(email, client) {
      const user = await users.findByEmail(email);
      if (!user) throw new CoreError("user_not_found");
      if (client.ip) await rateLimits.consume({ key: `password-reset-request:ip:${client.ip}`, ...CREATE_LIMIT });
      await rateLimits.consume({ key: `password-reset-request:user:${user.id}`, ...CREATE_LIMIT });
      const steps: Steps = { emailVerified: false, twoFactorVerified: false };
      // Earlier requests that never proved the address are superseded.
      const { request, code } = await challenges.openRequest("password-reset-request", {
        userId: user.id,
        data: { ...steps },
        supersedes: (earlier) => !stepsOf(earlier).emailVerified,
      });
      return { request: toRequest(request, user), code };
    },

    async get(requestId) {
      const request = await challenges.liveRequest("password-reset-request", requestId);
      const user = request && (await users.findById(request.userId));
      return request && user ? toRequest(request, user) : null;
    },

    async userOf(requestId) {
      return (await live(requestId)).user;
    },

    delete(requestId) {
      return challenges.removeRequest("password-reset-request", requestId);
    },

    async verifyEmail(requestId, code, client) {
      await challenges.tryCode("password-reset-request", requestId, code, client, {}, (request) =>
        mark(request.id, { emailVerified: true }, { attempts: 0 }),
      );
    },

    async verifyTotp(requestId, code, client) {
      const { request } = await live(requestId);
      await totp.verify(request.userId, code, client);
      await mark(request.id, { twoFactorVerified: true });
    },

    async resetSecondFactor(requestId, recoveryCode, client) {
      const { request } = await live(requestId);
      if (!stepsOf(request).emailVerified) throw new CoreError("reset_email_not_verified");
      const newCode = await secondFactorReset.reset(request.userId, recoveryCode, client);
      await mark(request.id, { twoFactorVerified: true });
      return newCode;
    },

    async resetPassword(requestId, newPassword) {
      const { request, user } = await live(requestId);
      const steps = stepsOf(request);
      if (!steps.emailVerified) throw new CoreError("reset_email_not_verified");
      if (!steps.twoFactorVerified && (await totp.isEnabled(request.userId))) throw new CoreError("reset_second_factor_not_verified");
      const accepted = await users.checkPassword(newPassword);
      const passwordHash = await passwords.hash(accepted);
      await challenges.claimForPassword(request, { passwordHash, active: user.active || auth.verifyEmails });
      // Whoever knew the old password must not stay signed in.
      await sessions.revokeAllForUser(request.userId);
      return (await users.findById(request.userId))!;
    },
  };
}
