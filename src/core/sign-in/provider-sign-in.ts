// A provider proved who someone is (core/identities/provider-flow.ts ran the flow and checked what the provider
// answered): which account that is, and then a session, or the second-factor ticket, exactly as a password login
// ends (login.ts). The rules, the same for every provider:
// - An identity is found by (provider, subject) only.
// - A new identity joins the account with its address only when the provider verified the address and
//   PROVIDER_LINK_BY_EMAIL allows it; an address that belongs to an account it may not join fails (`email_in_use`),
//   never links. An account whose own address is not verified (never activated, or registered without a check) is
//   not joined either: whoever registered it chose its password, and the address's owner would be signing into it.
// - Otherwise a new account is made through the one registration policy (closed registration, allowed domains), active,
//   its address verified as the provider says, without a password.
// - A disabled account gets nothing; a user with TOTP gets the ticket for the second step, never a session.
import type { Config } from "../../config.ts";
import { admittedUser, type CallerGate } from "../accounts/caller-gate.ts";
import { assertCanSignIn, type User, type Users } from "../accounts/users.ts";
import { CoreError, isCoreError } from "../errors.ts";
import type { Identities } from "../identities/identities.ts";
import { ProviderError, type ProviderProfile, type ProviderTokens } from "../identities/provider.ts";
import type { SecurityEvents } from "../security-events.ts";
import type { AccessTokens } from "../sessions/access-tokens.ts";
import { withAccessToken, type SessionTokens } from "../sessions/session-tokens.ts";
import type { SessionContext, Sessions } from "../sessions/sessions.ts";
import type { LoginOutcome } from "./login.ts";
import type { SignIn } from "./sign-in.ts";

/** What a provider said, for one provider. */
export interface ProviderAnswer {
  provider: string;
  profile: ProviderProfile;
  tokens: ProviderTokens;
}

export interface ProviderSignIn {
  /**
   * The account of the provider's profile (found, joined by verified address, or made), then a session or the
   * second-factor ticket. `email_in_use`, `account_disabled`, `account_inactive`, `registration_closed`,
   * `email_domain_not_allowed`; ProviderError `profile_incomplete` when a new account would have no address.
   */
  signIn(answer: ProviderAnswer, client: SessionContext): Promise<LoginOutcome<SessionTokens>>;
  /**
   * Links the identity to the signed-in account that started the flow. `identity_in_use`, `provider_already_linked`;
   * `user_not_found`, `account_disabled` or `account_inactive` when the account went, or was disabled, meanwhile.
   */
  link(userId: string, answer: ProviderAnswer, client: SessionContext): Promise<void>;
}

export function createProviderSignIn(deps: {
  settings: Pick<Config["providers"], "linkByEmail">;
  users: Users;
  callerGate: CallerGate;
  identities: Identities;
  signIn: Pick<SignIn, "afterFirstFactor">;
  sessions: Sessions;
  accessTokens: AccessTokens;
  events: SecurityEvents;
}): ProviderSignIn {
  const { settings, users, callerGate, identities, signIn, sessions, accessTokens, events } = deps;

  /** assertCanSignIn, recording a disabled account's try as a password's would be. */
  function admit(user: User, client: SessionContext): void {
    try {
      assertCanSignIn(user);
    } catch (error) {
      if (isCoreError(error, "account_disabled")) events.record("disabled_account", { ip: client.ip, account: `user:${user.id}` });
      throw error;
    }
  }

  function recordLink(userId: string, provider: string, client: SessionContext): void {
    events.record("provider_linked", { ip: client.ip, account: `user:${userId}`, reason: `provider:${provider}` });
  }

  /** An existing account with the profile's address: joined only when the provider verified it and the setting allows. */
  async function joinByAddress(holder: User, answer: ProviderAnswer, client: SessionContext): Promise<User> {
    if (!answer.profile.emailVerified) throw new CoreError("email_in_use", "the provider did not verify the address");
    if (!settings.linkByEmail) throw new CoreError("email_in_use", "PROVIDER_LINK_BY_EMAIL=false");
    // An account whose own address was never proved may have been registered by someone else with the victim's
    // address ahead of them (pre-hijacking): joining it would hand the address's owner an account whose password
    // another person chose. Its owner signs in with the password and links the provider (`?link=true`) instead.
    if (!holder.emailVerified) throw new CoreError("email_in_use", "the account's own address is not verified");
    admit(holder, client);
    await identities.link(holder.id, answer.provider, answer.profile, answer.tokens);
    recordLink(holder.id, answer.provider, client);
    return holder;
  }

  async function register(answer: ProviderAnswer, client: SessionContext, email: string): Promise<User> {
    const { profile } = answer;
    const user = await users.register(
      { email, password: null, displayName: profile.displayName ?? undefined, avatarUrl: profile.avatarUrl },
      { active: true, registeredBy: "self", emailVerified: profile.emailVerified },
    );
    try {
      await identities.link(user.id, answer.provider, profile, answer.tokens);
    } catch (error) {
      // The same provider account's first sign-in, twice at once: the other made the identity first. Ours goes.
      if (isCoreError(error, "identity_in_use")) await users.delete(user.id);
      throw error;
    }
    recordLink(user.id, answer.provider, client);
    return user;
  }

  async function accountOf(answer: ProviderAnswer, client: SessionContext): Promise<User> {
    const identity = await identities.find(answer.provider, answer.profile.subject);
    if (identity !== null) {
      const user = await users.findById(identity.userId);
      if (user === null) throw new CoreError("user_not_found");
      admit(user, client);
      await identities.recordUse(identity, answer.profile, answer.tokens);
      return user;
    }
    const email = answer.profile.email;
    if (email === null) throw new ProviderError("profile_incomplete", "no email address for a new account");
    const holder = await users.findByEmail(email);
    return holder !== null ? joinByAddress(holder, answer, client) : register(answer, client, email);
  }

  return {
    async signIn(answer, client) {
      const user = await accountOf(answer, client);
      const first = await signIn.afterFirstFactor(user);
      if (first.kind === "second-factor") return first;
      // (Not counted in the sign-in metrics: those count password sign-ins, core/observations.ts.)
      return { kind: "signed-in", session: await withAccessToken(accessTokens, user, await sessions.issue(user.id, client)) };
    },

    async link(userId, answer, client) {
      const user = admittedUser(await callerGate.admit(userId));
      await identities.link(user.id, answer.provider, answer.profile, answer.tokens);
      recordLink(user.id, answer.provider, client);
    },
  };
}
