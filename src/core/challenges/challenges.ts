// The one mechanism behind every code or link handed to a user (purposes.ts lists them): tickets found by their
// digest and used up once, and requests found by their id and proved with a short code. The flows (activation,
// password reset, email change, magic link, email OTP, the MFA-login step, Faroe's requests) are built on it.
import type { ChallengesRepository, StoredChallenge } from "../../db/repositories/challenges.ts";
import type { Clock } from "../../lib/clock.ts";
import { randomRequestId, randomShortCode } from "../../lib/ids.ts";
import type { Random } from "../../lib/random.ts";
import { constantTimeEqual, sha256Hex } from "../../lib/secrets.ts";
import { CoreError, isCoreError } from "../errors.ts";
import type { Guesses } from "../throttling/guesses.ts";
import type { PasswordHasher } from "../passwords/passwords.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import { REQUEST_KINDS, type FlowPurpose, type RequestPurpose, type TicketPurpose } from "./purposes.ts";

/** uuids and the dialects' base64url or alphanumeric tokens; anything else cannot be a ticket we issued. */
const TICKET_SHAPE = /^[A-Za-z0-9_-]{16,128}$/;

/** Whose a ticket is, and what it carries. */
export interface TicketHolder {
  userId: string;
  data: Record<string, unknown>;
}

/** A request as the flows see it: always a user's. */
export type ChallengeRequest = StoredChallenge & { userId: string };

/** What a flow's state carries: the user it is for, when one is known when it starts. */
export interface FlowHolder {
  userId: string | null;
  data: Record<string, unknown>;
}

export interface Challenges {
  /** A new ticket for `purpose`; earlier tickets of the same user and purpose stop working (HBP keeps one). */
  issueTicket(
    userId: string,
    purpose: TicketPurpose,
    options: { ttlSeconds: number; data?: Record<string, unknown>; tokenBytes?: number | null },
  ): Promise<string>;
  /** The ticket's owner and data without using it up (the MFA step, retried after a mistyped code): `invalid_ticket`. */
  peekTicket(purpose: TicketPurpose, ticket: string): Promise<TicketHolder>;
  /** Uses up a ticket. Unknown, expired, already used or malformed: `invalid_ticket`. */
  consumeTicket(purpose: TicketPurpose, ticket: string): Promise<TicketHolder>;
  /**
   * Replaces the data of an unexpired ticket found by its digest (the mail worker, which holds only the digest,
   * storing the hash of the code it mails); false when there is no such ticket any more.
   */
  replaceTicketData(purpose: TicketPurpose, ticketDigest: string, data: Record<string, unknown>): Promise<boolean>;

  /**
   * A flow's single-use state (an OAuth `state`, a WebAuthn challenge): a random 32-byte base64url secret, stored as
   * its digest with `data`, for the user when one is known (null: a sign-in that has not found anyone yet).
   */
  openFlow(purpose: FlowPurpose, options: { userId: string | null; ttlSeconds: number; data?: Record<string, unknown> }): Promise<string>;
  /** Uses up a flow's state. Unknown, expired, already used or malformed: `invalid_ticket`. */
  consumeFlow(purpose: FlowPurpose, secret: string): Promise<FlowHolder>;

  /**
   * A new request of `purpose` for the user, and its code (which the caller hands on). The user's expired requests
   * of the purpose go, and those `supersedes` picks.
   */
  openRequest(
    purpose: RequestPurpose,
    options: { userId: string; email?: string; data?: Record<string, unknown>; supersedes?: (earlier: ChallengeRequest) => boolean },
  ): Promise<{ request: ChallengeRequest; code: string }>;
  /** The live request (the user's, when `userId` is given), or null; an expired one is deleted on the way. */
  liveRequest(purpose: RequestPurpose, id: string, options?: { userId?: string }): Promise<ChallengeRequest | null>;
  /** Deletes a request (the user's, when `userId` is given); false when there was none. */
  removeRequest(purpose: RequestPurpose, id: string, options?: { userId?: string }): Promise<boolean>;
  /**
   * One try of `code` at a request; on the right code, `onRight` runs and its answer is the answer. Tries at one
   * request run one at a time, on every instance, so only wrong codes count: parallel tries with the right code
   * do not count each other as failures. `request_not_found` (also once expired), `rate_limited` (the try after
   * the last one allowed, which deletes the request; or the client's guess limit), `incorrect_code` (counted).
   */
  tryCode<T>(
    purpose: RequestPurpose,
    id: string,
    code: string,
    client: SessionContext,
    options: { userId?: string },
    onRight: (request: ChallengeRequest) => Promise<T>,
  ): Promise<T>;
  /** Records a request's progress: `data` merged into its data; `attempts` set when given. */
  updateRequest(id: string, changes: { data?: Record<string, unknown>; attempts?: number }): Promise<void>;
  /**
   * Finishes a request that proved an address, in one transaction with its effect: the user takes the address,
   * verified (and active when `active`); the user's requests of `endsForUser` and every request for the address
   * go. `request_not_found` when it went meanwhile; a unique violation when another account took the address.
   */
  claimForAddress(request: ChallengeRequest, options: { active: boolean; endsForUser: RequestPurpose[] }): Promise<void>;
  /**
   * Finishes a request that sets a password, in one transaction with its effect: the user's requests of its
   * purpose go, the password hash is set, the address counts as verified (and the account as active when
   * `active`). `request_not_found` when it went meanwhile, so one request sets one password.
   */
  claimForPassword(request: ChallengeRequest, options: { passwordHash: string; active: boolean }): Promise<void>;
}

export function createChallenges(deps: {
  repository: ChallengesRepository;
  clock: Clock;
  random: Random;
  passwords: PasswordHasher;
  guesses: Guesses;
}): Challenges {
  const { repository, clock, random, passwords, guesses } = deps;

  const holder = (row: StoredChallenge | null): TicketHolder => {
    if (!row || row.userId === null) throw new CoreError("invalid_ticket");
    return { userId: row.userId, data: row.data };
  };

  async function liveRequest(purpose: RequestPurpose, id: string, options: { userId?: string } = {}): Promise<ChallengeRequest | null> {
    const row = await repository.byId(purpose, id);
    if (!row || row.userId === null || (options.userId !== undefined && row.userId !== options.userId)) return null;
    if (row.expiresAt <= clock.now()) {
      await repository.remove(purpose, row.id);
      return null;
    }
    return { ...row, userId: row.userId };
  }

  async function isRightCode(request: ChallengeRequest, code: string): Promise<boolean> {
    // Codes are shown in upper case; people type them either way.
    const typed = code.toUpperCase();
    if (request.code !== null) return constantTimeEqual(request.code, typed);
    return request.secretHash !== null && (await passwords.verify(typed, request.secretHash));
  }

  return {
    async issueTicket(userId, purpose, options) {
      // A uuid v4 by default (HBP's tickets); a dialect's own tokens are that many random bytes as base64url.
      const ticket = options.tokenBytes == null ? random.uuid() : random.token(options.tokenBytes);
      const now = clock.now();
      await repository.removeOfUser(userId, purpose);
      await repository.insert({
        id: random.uuid(),
        userId,
        purpose,
        secretHash: sha256Hex(ticket),
        code: null,
        email: null,
        data: options.data ?? {},
        expiresAt: now + options.ttlSeconds * 1000,
        createdAt: now,
      });
      return ticket;
    },

    async peekTicket(purpose, ticket) {
      if (!TICKET_SHAPE.test(ticket)) throw new CoreError("invalid_ticket");
      return holder(await repository.liveBySecret(purpose, sha256Hex(ticket), clock.now()));
    },

    async consumeTicket(purpose, ticket) {
      if (!TICKET_SHAPE.test(ticket)) throw new CoreError("invalid_ticket");
      return holder(await repository.consumeBySecret(purpose, sha256Hex(ticket), clock.now()));
    },

    replaceTicketData(purpose, ticketDigest, data) {
      return repository.replaceDataBySecret(purpose, ticketDigest, data, clock.now());
    },

    async openFlow(purpose, { userId, ttlSeconds, data }) {
      const secret = random.token(32);
      const now = clock.now();
      await repository.insert({
        id: random.uuid(),
        userId,
        purpose,
        secretHash: sha256Hex(secret),
        code: null,
        email: null,
        data: data ?? {},
        expiresAt: now + ttlSeconds * 1000,
        createdAt: now,
      });
      return secret;
    },

    async consumeFlow(purpose, secret) {
      if (!TICKET_SHAPE.test(secret)) throw new CoreError("invalid_ticket");
      const row = await repository.consumeBySecret(purpose, sha256Hex(secret), clock.now());
      if (!row) throw new CoreError("invalid_ticket");
      return { userId: row.userId, data: row.data };
    },

    async openRequest(purpose, { userId, email, data, supersedes }) {
      const kind = REQUEST_KINDS[purpose];
      const code = randomShortCode(random);
      const secretHash = kind.codeAtRest === "argon2id" ? await passwords.hash(code) : null;
      const now = clock.now();
      const earlier = (await repository.ofUser(userId, purpose)).map((row) => ({ ...row, userId }));
      await repository.removeIds(earlier.filter((request) => request.expiresAt <= now || supersedes?.(request)).map((request) => request.id));
      const request: ChallengeRequest = {
        id: randomRequestId(random),
        userId,
        purpose,
        secretHash,
        code: kind.codeAtRest === "as-is" ? code : null,
        email: email ?? null,
        data: data ?? {},
        attempts: 0,
        expiresAt: now + kind.expiresInSeconds * 1000,
        createdAt: now,
      };
      const { attempts: _none, ...stored } = request;
      await repository.insert(stored);
      return { request, code };
    },

    liveRequest,

    removeRequest(purpose, id, options = {}) {
      return repository.remove(purpose, id, options);
    },

    tryCode(purpose, id, code, client, options, onRight) {
      return repository.exclusively(id, async () => {
        const request = await liveRequest(purpose, id, options);
        if (!request) throw new CoreError("request_not_found");
        if (request.attempts >= REQUEST_KINDS[purpose].maxAttempts) {
          await repository.remove(purpose, request.id);
          throw new CoreError("rate_limited");
        }
        try {
          await guesses.attempt({ ip: client.ip }, async () => {
            if (!(await isRightCode(request, code))) throw new CoreError("incorrect_code");
          });
        } catch (error) {
          if (isCoreError(error, "incorrect_code")) await repository.countAttempt(request.id);
          throw error;
        }
        return onRight(request);
      });
    },

    updateRequest(id, changes) {
      return repository.update(id, changes);
    },

    async claimForAddress(request, { active, endsForUser }) {
      const { id, userId, email } = request;
      if (email === null) throw new CoreError("request_not_found");
      // Deleted meanwhile (DELETE of the request, or another of the user's verified): nothing to claim.
      if (!(await repository.claimForAddress({ id, userId, email, active, now: clock.now(), endsForUser }))) {
        throw new CoreError("request_not_found");
      }
    },

    async claimForPassword(request, { passwordHash, active }) {
      const { id, userId, purpose } = request;
      if (!(await repository.claimForPassword({ id, userId, purpose, passwordHash, active, now: clock.now() }))) {
        throw new CoreError("request_not_found");
      }
    },
  };
}
