// Email-verification requests (Faroe's model): the caller asks for a request for an address, mails the code
// itself, and the user types the code back. A verified request sets the account's address and marks it verified.
// A request of the challenge mechanism (purposes.ts: its code is kept as it is because the API shows it again).
import type { Config } from "../../config.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { CoreError } from "../errors.ts";
import type { RateLimits } from "../throttling/rate-limits.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import { normaliseEmail, type Users } from "../accounts/users.ts";
import type { ChallengeRequest, Challenges } from "./challenges.ts";

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

export interface EmailVerification {
  /** `user_not_found`, `rate_limited`, `email_unavailable` (another account has it) or `email_domain_not_allowed`. */
  create(userId: string, email: string): Promise<EmailVerificationRequest>;
  /** The user's live request, or null; an expired one is deleted on the way. */
  get(userId: string, requestId: string): Promise<EmailVerificationRequest | null>;
  delete(userId: string, requestId: string): Promise<boolean>;
  /**
   * Proves the address with the code: the account takes it as its address, verified (and, where activation is by
   * email, VERIFY_EMAILS=true, active). The user's password-reset requests and every request for the address go.
   * `request_not_found`, `rate_limited` (the 6th try, which deletes the request), `incorrect_code`,
   * `email_unavailable` (another account took the address meanwhile).
   */
  verify(userId: string, requestId: string, code: string, client: SessionContext): Promise<void>;
}

function toRequest({ id, userId, email, code, createdAt, expiresAt }: ChallengeRequest): EmailVerificationRequest {
  return { id, userId, email: email ?? "", code: code ?? "", createdAt, expiresAt };
}

export function createEmailVerification(deps: {
  auth: Config["auth"];
  challenges: Challenges;
  users: Users;
  rateLimits: RateLimits;
}): EmailVerification {
  const { auth, challenges, users, rateLimits } = deps;

  return {
    async create(userId, email) {
      if (!(await users.findById(userId))) throw new CoreError("user_not_found");
      await rateLimits.consume({ key: `email-verification:user:${userId}`, ...CREATE_LIMIT });
      // The user's own current address is allowed: verifying it is the usual first request.
      await users.assertEmailAvailable(userId, email);
      const { request } = await challenges.openRequest("email-verification", { userId, email: normaliseEmail(email) });
      return toRequest(request);
    },

    async get(userId, requestId) {
      const request = await challenges.liveRequest("email-verification", requestId, { userId });
      return request && toRequest(request);
    },

    delete(userId, requestId) {
      return challenges.removeRequest("email-verification", requestId, { userId });
    },

    verify(userId, requestId, code, client) {
      return challenges.tryCode("email-verification", requestId, code, client, { userId }, async (request) => {
        const email = request.email ?? "";
        await users.assertEmailAvailable(userId, email);
        const user = await users.findById(userId);
        if (!user) throw new CoreError("user_not_found");
        try {
          await challenges.claimForAddress(request, { active: user.active || auth.verifyEmails, endsForUser: ["password-reset-request"] });
        } catch (error) {
          if (isUniqueViolation(error, "users", "email")) throw new CoreError("email_unavailable");
          throw error;
        }
      });
    },
  };
}
