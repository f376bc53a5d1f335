// Proving who someone is with a passkey (core/second-factors/passkeys.ts holds the credentials and the ceremonies):
// a sign-up that makes the account and its first passkey together, a sign-in with or without an address (without:
// a discoverable credential names its account), and the second step of a password sign-in for a user with TOTP
// (the MFA ticket answered with a passkey instead of a code). Each answers the user; sessions.ts then issues the
// session, as after a password (login.ts).
//
// A passkey is a sign-in on its own, as in nhost's auth: it is phishing-resistant, and with user verification (a PIN
// or biometric, WEBAUTHN_USER_VERIFICATION) it is two factors in one. So a user with TOTP who signs in with a passkey
// is not asked for a code; the password is what the MFA ticket stands behind.
//
// Every verify runs inside guesses.attempt: a response that does not verify counts as a wrong password would, per
// client IP and, when the account is known, per account (the same counters as its password's); the MFA step counts
// as a second factor, with the TOTP codes. A disabled account's passkey gives nothing (assertCanSignIn).
import type { Config } from "../../config.ts";
import type { StoredPasskey } from "../../db/repositories/passkeys.ts";
import type { Random } from "../../lib/random.ts";
import { assertCanSignIn, normaliseEmail, type RegisterInput, type User, type Users } from "../accounts/users.ts";
import type { Challenges } from "../challenges/challenges.ts";
import { CoreError, isCoreError } from "../errors.ts";
import type { Observations } from "../observations.ts";
import { accountOf, type Passkeys } from "../second-factors/passkeys.ts";
import type { AssertionResponse, CreationOptions, CreationResponse, RequestOptions } from "../second-factors/webauthn.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import type { Guesses } from "../throttling/guesses.ts";

/** What a new account asks for, as HBP's register does: roles within ALLOWED_USER_ROLES, REGISTRATION_CUSTOM_FIELDS. */
export type SignUpProfile = Pick<RegisterInput, "allowedRoles" | "defaultRole" | "displayName" | "customFields">;

export interface PasskeySignIn {
  /**
   * Options to make the first passkey of a new account for `email`, refused now for what would refuse the account
   * (`registration_closed`, `email_taken`, `email_domain_not_allowed`, roles and fields): nothing is made until the
   * passkey is proven.
   */
  signUpOptions(email: string, profile: SignUpProfile): Promise<CreationOptions>;
  /**
   * The account and its passkey, from a registration answering `signUpOptions` (its profile, or `profile` when
   * given): active as AUTO_ACTIVATE_NEW_USERS says. `invalid_passkey`, `rate_limited`, the registration policy's codes.
   */
  signUp(response: CreationResponse, options: { nickname?: string; profile?: SignUpProfile }, client: SessionContext): Promise<User>;
  /**
   * Options to sign in: with `email`, for that account's passkeys (an unknown address gets options too, for
   * discoverable credentials, which then cannot be its: the answer does not say whether it exists); without, for
   * any discoverable credential.
   */
  signInOptions(email: string | null): Promise<RequestOptions>;
  /**
   * The user an assertion proves, answering `signInOptions` (and, with `email`, that address's account):
   * `invalid_passkey`, `rate_limited`, `account_disabled`, `account_inactive`.
   */
  signIn(response: AssertionResponse, options: { email?: string }, client: SessionContext): Promise<User>;
  /** Options for the MFA step: the ticket's user's passkeys. `invalid_ticket`, `rate_limited`. */
  mfaOptions(ticket: string, client: SessionContext): Promise<RequestOptions>;
  /**
   * The MFA step answered with a passkey: the user, the ticket used up (only on success, as the TOTP step).
   * `invalid_ticket`, `invalid_passkey`, `rate_limited`, `account_disabled`, `account_inactive`.
   */
  withMfaTicket(ticket: string, response: AssertionResponse, client: SessionContext): Promise<User>;
}

export function createPasskeySignIn(deps: {
  auth: Pick<Config["auth"], "autoActivateNewUsers">;
  users: Users;
  passkeys: Passkeys;
  challenges: Pick<Challenges, "peekTicket" | "consumeTicket">;
  guesses: Guesses;
  random: Random;
  observations: Pick<Observations, "passwordlessSignIn">;
}): PasskeySignIn {
  const { auth, users, passkeys, challenges, guesses, random, observations } = deps;
  const refused = (detail: string) => new CoreError("invalid_passkey", detail);

  /** A passkey sign-in's end, counted for the operator's metrics (the guess limits count it for the limits). */
  async function observed(signingIn: Promise<User>): Promise<User> {
    try {
      const user = await signingIn;
      observations.passwordlessSignIn("passkey", "success");
      return user;
    } catch (error) {
      observations.passwordlessSignIn("passkey", isCoreError(error, "rate_limited") ? "throttled" : "failed");
      throw error;
    }
  }

  /** The account a passkey belongs to; null for an unknown credential (or one whose account went). */
  async function ownerOf(passkey: StoredPasskey | null): Promise<User | null> {
    return passkey ? users.findById(passkey.userId) : null;
  }

  /** The account an assertion proved, if it may sign in (inside guesses.attempt: a refusal is recorded there). */
  async function admitted(userId: string): Promise<User> {
    const user = await users.findById(userId);
    if (!user) throw refused("the credential's account is gone");
    assertCanSignIn(user);
    return user;
  }

  return {
    async signUpOptions(email, profile) {
      const address = normaliseEmail(email);
      await users.assertCanRegister({ ...profile, email: address, password: null }, { registeredBy: "self" });
      // The account's id is chosen now: the authenticator keeps it as the user handle of the passkey it makes.
      const userId = random.uuid();
      return passkeys.openCreation(
        { userId: null, kind: "sign-up", data: { userId, email: address, profile } },
        { handle: userId, name: address, displayName: profile.displayName ?? address, exclude: [] },
      );
    },

    async signUp(response, options, client) {
      return guesses.attempt({ ip: client.ip }, async () => {
        const { flow, credential } = await passkeys.finishCreation(
          response,
          "sign-up",
          (flow) => flow.userId === null && typeof flow.data.userId === "string" && typeof flow.data.email === "string",
        );
        const profile = options.profile ?? (flow.data.profile as SignUpProfile | undefined) ?? {};
        const user = await users.register(
          { ...profile, id: flow.data.userId as string, email: flow.data.email as string, password: null },
          { active: auth.autoActivateNewUsers, registeredBy: "self" },
        );
        try {
          await passkeys.store(user, credential, options.nickname, client);
        } catch (error) {
          // No account without its way to sign in.
          await users.delete(user.id);
          throw error;
        }
        return user;
      });
    },

    async signInOptions(email) {
      if (email === null) return passkeys.openAssertion({ userId: null, kind: "sign-in", data: { email: null } }, []);
      const address = normaliseEmail(email);
      const user = await users.findByEmail(address);
      const allow = user ? await passkeys.list(user.id) : [];
      return passkeys.openAssertion({ userId: user?.id ?? null, kind: "sign-in", data: { email: address } }, allow);
    },

    async signIn(response, options, client) {
      const owner = await ownerOf(await passkeys.find(response.id));
      const named = options.email === undefined ? null : normaliseEmail(options.email);
      // Counted for the account the caller named, else for the one the credential is: as a password is.
      const account = named !== null ? `email:${named}` : owner ? accountOf(owner) : undefined;
      return observed(guesses.attempt({ ip: client.ip, account }, async () => {
        const { passkey } = await passkeys.finishAssertion(response, "sign-in", client, (flow, passkey) => {
          const flowEmail = typeof flow.data.email === "string" ? flow.data.email : null;
          if (owner === null || owner.id !== passkey.userId) return false;
          // Options asked for one account (by its address) are answered by that account's passkeys only.
          if (flow.userId !== null && flow.userId !== passkey.userId) return false;
          if (flowEmail !== null && owner.email !== flowEmail) return false;
          return named === null || owner.email === named;
        });
        return admitted(passkey.userId);
      }));
    },

    async mfaOptions(ticket, client) {
      const { userId } = await guesses.attempt({ ip: client.ip }, () => challenges.peekTicket("mfa-login", ticket));
      return passkeys.openAssertion({ userId, kind: "mfa" }, await passkeys.list(userId));
    },

    async withMfaTicket(ticket, response, client) {
      const { userId } = await guesses.attempt({ ip: client.ip }, () => challenges.peekTicket("mfa-login", ticket));
      return guesses.attempt({ ip: client.ip, account: `user:${userId}`, secondFactor: true }, async () => {
        await passkeys.finishAssertion(response, "mfa", client, (flow, passkey) => flow.userId === userId && passkey.userId === userId);
        await challenges.consumeTicket("mfa-login", ticket);
        return admitted(userId);
      });
    },
  };
}

