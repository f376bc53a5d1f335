// Passkeys: the credential room. A passkey is a key pair an authenticator (a phone, a laptop's chip, a security key)
// made for latchkey's RP ID; latchkey keeps its public key, its signature counter, its transports and backup state.
// Here: the ceremonies' challenges and checks, the credentials a user has, adding and removing them. Who a sign-in
// proves is core/sign-in/passkey-sign-in.ts's question.
//
// Threats and answers:
// - a replayed or stolen response: each ceremony's challenge is a flow state of core/challenges (32 random bytes,
//   stored as SHA-256, used up by one atomic DELETE, 5 minutes), read back from the response's signed client data,
//   so a response answers one challenge once; and each flow says whose it is (a user, or nobody yet: a
//   discoverable sign-in or a sign-up), checked before the signature is;
// - a phishing page: the origin in the client data must be one of WEBAUTHN_RP_ORIGINS, and the authenticator's RP ID
//   hash WEBAUTHN_RP_ID's (webauthn.ts);
// - a cloned authenticator: one that counts signs with a counter that grows; a correct signature whose counter did not
//   move forward is refused and recorded (`passkey_clone_suspected`); the conditional update of the counter
//   (db/repositories/passkeys.ts) makes two uses with one counter, on any instances, yield one success;
// - guessing: every verify that fails is a wrong guess for core/throttling/guesses.ts, per client IP and account,
//   as a wrong password is (the callers run them inside guesses.attempt);
// - locking oneself out: a passkey that is the account's last way to sign in is not removed (sign-in-methods.ts).
import type { PasskeysRepository, StoredPasskey } from "../../db/repositories/passkeys.ts";
import type { Clock } from "../../lib/clock.ts";
import type { SignInMethods } from "../accounts/sign-in-methods.ts";
import type { User } from "../accounts/users.ts";
import type { Challenges, FlowHolder } from "../challenges/challenges.ts";
import { CoreError, isCoreError } from "../errors.ts";
import type { SecurityEvents } from "../security-events.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import type { Guesses } from "../throttling/guesses.ts";
import {
  challengeOf,
  creationOptions,
  requestOptions,
  userHandleOf,
  verifyAssertion,
  verifyCreation,
  type AssertionResponse,
  type CreationOptions,
  type CreationResponse,
  type CredentialRef,
  type NewCredential,
  type RelyingParty,
  type RequestOptions,
} from "./webauthn.ts";

/** A challenge lives as long as the browser is given (webauthn.ts CEREMONY_TIMEOUT_MS; purposes.ts). */
const CHALLENGE_TTL_SECONDS = 5 * 60;
/** The longest nickname kept; longer ones are cut. */
export const MAX_NICKNAME_LENGTH = 64;

/** A passkey as its owner and the operator see it: never its key. */
export interface PasskeyInfo {
  id: string;
  nickname: string | null;
  transports: string[];
  /** `multiDevice`: synced between the owner's devices (a platform's passkey manager); `singleDevice`: one key. */
  deviceType: string;
  backedUp: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

/** What a ceremony's flow is for (its data's `kind`): a flow answers only the step it was opened for. */
export type CeremonyKind = "sign-up" | "add" | "sign-in" | "mfa";

export interface Passkeys {
  /** The user's passkeys, oldest first. */
  list(userId: string): Promise<PasskeyInfo[]>;
  /** Options to add a passkey to a signed-in user's account (none of theirs again). */
  registrationOptions(user: User): Promise<CreationOptions>;
  /**
   * Adds the passkey a registration made, answering the user's own `registrationOptions`: the new passkey, or
   * `invalid_passkey` (counted as a wrong guess), `rate_limited`.
   */
  verifyRegistration(user: User, response: CreationResponse, options: { nickname?: string }, client: SessionContext): Promise<PasskeyInfo>;
  /**
   * Removes one of the user's passkeys: false when there is none with this id; `last_sign_in_method` when it is
   * the account's last way to sign in, unless `force` (the operator's, for an account that must go dark).
   */
  remove(userId: string, id: string, options: { force?: boolean; client?: SessionContext }): Promise<boolean>;

  // The steps the sign-in flows are built of (core/sign-in/passkey-sign-in.ts).
  /** The passkey with this credential id, or null. */
  find(id: string): Promise<StoredPasskey | null>;
  /** Opens a registration flow (`userId`: its user, null before the account exists) and answers its options. */
  openCreation(
    flow: { userId: string | null; kind: CeremonyKind; data?: Record<string, unknown> },
    user: { handle: string; name: string; displayName: string; exclude: CredentialRef[] },
  ): Promise<CreationOptions>;
  /**
   * Uses up the flow a registration answers and checks the response: the flow (for `expect` to check first: whose
   * it is, what it is for) and the credential it proved, not stored yet. `invalid_passkey`.
   */
  finishCreation(response: CreationResponse, kind: CeremonyKind, expect: (flow: FlowHolder) => boolean): Promise<{ flow: FlowHolder; credential: NewCredential }>;
  /** Stores a proven credential for the user: `invalid_passkey` when its credential id is anyone's already. */
  store(user: User, credential: NewCredential, nickname: string | undefined, client: SessionContext): Promise<PasskeyInfo>;
  /** Opens a sign-in flow and answers its options (`allow` empty: any discoverable credential). */
  openAssertion(flow: { userId: string | null; kind: CeremonyKind; data?: Record<string, unknown> }, allow: CredentialRef[]): Promise<RequestOptions>;
  /**
   * Uses up the flow an assertion answers, finds its credential, lets `expect` check that the two belong together,
   * then checks the signature and the counter and records the use. `invalid_passkey`.
   */
  finishAssertion(
    response: AssertionResponse,
    kind: CeremonyKind,
    client: SessionContext,
    expect: (flow: FlowHolder, passkey: StoredPasskey) => boolean,
  ): Promise<{ flow: FlowHolder; passkey: StoredPasskey }>;
}

export function infoOf(passkey: StoredPasskey): PasskeyInfo {
  const { id, nickname, transports, deviceType, backedUp, createdAt, lastUsedAt } = passkey;
  return { id, nickname, transports, deviceType, backedUp, createdAt, lastUsedAt };
}

/** The name a guess against `user` is counted under: the same as a password's (password-check.ts). */
export function accountOf(user: Pick<User, "id" | "email">): string {
  return user.email ? `email:${user.email}` : `user:${user.id}`;
}

export function createPasskeys(deps: {
  repository: PasskeysRepository;
  challenges: Pick<Challenges, "openFlow" | "consumeFlow">;
  relyingParty: RelyingParty;
  signInMethods: SignInMethods;
  guesses: Guesses;
  events: SecurityEvents;
  clock: Clock;
}): Passkeys {
  const { repository, challenges, relyingParty: rp, signInMethods, guesses, events, clock } = deps;
  const refused = (detail: string) => new CoreError("invalid_passkey", detail);

  /** Uses up the flow `challenge` names, if it is of `kind`; an unknown, used or expired one is `invalid_passkey`. */
  async function consume(purpose: "webauthn-registration" | "webauthn-authentication", challenge: string, kind: CeremonyKind): Promise<FlowHolder> {
    let flow: FlowHolder;
    try {
      flow = await challenges.consumeFlow(purpose, challenge);
    } catch (error) {
      if (isCoreError(error, "invalid_ticket")) throw refused("challenge unknown, used or expired");
      throw error;
    }
    if (flow.data.kind !== kind) throw refused(`challenge of a ${String(flow.data.kind)} flow`);
    return flow;
  }

  const passkeys: Passkeys = {
    async list(userId) {
      return (await repository.ofUser(userId)).map(infoOf);
    },

    async registrationOptions(user) {
      return passkeys.openCreation(
        { userId: user.id, kind: "add" },
        { handle: user.id, name: user.email ?? user.username ?? user.id, displayName: user.displayName ?? user.email ?? user.id, exclude: await repository.ofUser(user.id) },
      );
    },

    async verifyRegistration(user, response, options, client) {
      return guesses.attempt({ ip: client.ip, account: accountOf(user) }, async () => {
        const { credential } = await passkeys.finishCreation(response, "add", (flow) => flow.userId === user.id);
        return passkeys.store(user, credential, options.nickname, client);
      });
    },

    async remove(userId, id, options) {
      if ((await repository.byId(id))?.userId !== userId) return false;
      const removed = await signInMethods.remove(userId, "passkey", () => repository.remove(userId, id), { force: options.force });
      if (removed) events.record("passkey_removed", { ip: options.client?.ip, account: `user:${userId}` });
      return removed;
    },

    find: (id) => repository.byId(id),

    async openCreation(flow, user) {
      const challenge = await challenges.openFlow("webauthn-registration", {
        userId: flow.userId,
        ttlSeconds: CHALLENGE_TTL_SECONDS,
        data: { ...flow.data, kind: flow.kind },
      });
      return creationOptions(rp, {
        challenge,
        userHandle: user.handle,
        userName: user.name,
        displayName: user.displayName,
        exclude: user.exclude,
      });
    },

    async finishCreation(response, kind, expect) {
      const challenge = challengeOf(response);
      const flow = await consume("webauthn-registration", challenge, kind);
      if (!expect(flow)) throw refused("challenge of another user's flow");
      return { flow, credential: await verifyCreation(rp, response, challenge) };
    },

    async store(user, credential, nickname, client) {
      const now = clock.now();
      const passkey: StoredPasskey = {
        ...credential,
        userId: user.id,
        nickname: nickname?.trim().slice(0, MAX_NICKNAME_LENGTH) || null,
        createdAt: now,
        lastUsedAt: null,
      };
      // A credential id is the authenticator's: another account with it is someone replaying a registration.
      if (!(await repository.insert(passkey))) throw refused("credential id registered already");
      events.record("passkey_added", { ip: client.ip, account: accountOf(user) });
      return infoOf(passkey);
    },

    async openAssertion(flow, allow) {
      const challenge = await challenges.openFlow("webauthn-authentication", {
        userId: flow.userId,
        ttlSeconds: CHALLENGE_TTL_SECONDS,
        data: { ...flow.data, kind: flow.kind },
      });
      return requestOptions(rp, { challenge, allow });
    },

    async finishAssertion(response, kind, client, expect) {
      const challenge = challengeOf(response);
      const flow = await consume("webauthn-authentication", challenge, kind);
      const passkey = await repository.byId(response.id);
      if (!passkey) throw refused("unknown credential");
      // A discoverable credential names the account it was made for: it must be the passkey's.
      const handle = userHandleOf(response);
      if (!expect(flow, passkey) || (handle !== null && handle !== passkey.userId)) throw refused("credential of another user");
      const assertion = await verifyAssertion(rp, response, challenge, passkey);
      // Signed by the authenticator, so the counter is its own: one that did not move forward (other than an
      // authenticator's constant 0) means two authenticators share the key. The update is conditional on it, so of
      // parallel uses with one counter only one is recorded.
      const use = { counter: assertion.counter, backedUp: assertion.backedUp, usedAt: clock.now() };
      if (!(await repository.recordUse(passkey.id, use))) {
        events.record("passkey_clone_suspected", { ip: client.ip, account: `user:${passkey.userId}` });
        throw refused("signature counter did not move forward");
      }
      return { flow, passkey: { ...passkey, counter: use.counter, backedUp: use.backedUp, lastUsedAt: use.usedAt } };
    },
  };
  return passkeys;
}
