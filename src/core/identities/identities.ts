// Provider identities: which account a person is at GitHub, Google or an OIDC provider. An identity is found by
// (provider, subject) only: the provider's own stable id, never a display name or an address, which people change
// and providers reassign. An account has at most one identity per provider. The provider's tokens are kept only with
// PROVIDER_KEEP_TOKENS=true, and then sealed (lib/token-cipher.ts); without it they are never written, and those
// kept before the setting was turned off are cleared at the identity's next use.
import type { IdentitiesRepository, StoredIdentity } from "../../db/repositories/identities.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Random } from "../../lib/random.ts";
import type { TokenCipher } from "../../lib/token-cipher.ts";
import type { SignInMethods } from "../accounts/sign-in-methods.ts";
import { CoreError } from "../errors.ts";
import type { SecurityEvents } from "../security-events.ts";
import type { SessionContext } from "../sessions/sessions.ts";
import type { ProviderProfile, ProviderTokens } from "./provider.ts";

export type Identity = StoredIdentity;

/** An identity as its owner sees it: no subject or tokens. */
export interface LinkedIdentity {
  provider: string;
  /** The address the provider gave at the last sign-in. */
  email: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface Identities {
  /** The identity with this provider's subject, or null. */
  find(provider: string, subject: string): Promise<Identity | null>;
  /** The account's identities, oldest first. */
  ofUser(userId: string): Promise<LinkedIdentity[]>;
  /**
   * Links the provider's account to `userId` (and counts it as used). `identity_in_use` when it is another account's;
   * `provider_already_linked` when the account has another identity at this provider; `user_not_found` when the
   * account is gone. Linking an identity the account has already only records the use.
   */
  link(userId: string, provider: string, profile: ProviderProfile, tokens: ProviderTokens): Promise<void>;
  /** A sign-in through the identity: its address, tokens (when kept) and last_used_at. */
  recordUse(identity: Identity, profile: ProviderProfile, tokens: ProviderTokens): Promise<void>;
  /**
   * Removes the account's identity at `provider`: `identity_not_found` when it has none, `last_sign_in_method`
   * (core/accounts/sign-in-methods.ts) when it is the account's last way to sign in.
   */
  unlink(userId: string, provider: string, client: SessionContext): Promise<void>;
  /** The tokens kept for the account's identity at `provider` (PROVIDER_KEEP_TOKENS), opened; null when none. */
  keptTokens(userId: string, provider: string): Promise<ProviderTokens | null>;
}

/** The sealed token columns, as kept: the tokens sealed, or null (not kept). `undefined`: leave the stored one. */
interface SealedTokens {
  accessTokenEncrypted: string | null;
  refreshTokenEncrypted?: string | null;
}

export function createIdentities(deps: {
  repository: IdentitiesRepository;
  clock: Clock;
  random: Random;
  /** null: PROVIDER_KEEP_TOKENS=false, nothing is kept. */
  cipher: TokenCipher | null;
  signInMethods: SignInMethods;
  events: SecurityEvents;
}): Identities {
  const { repository, clock, random, cipher, signInMethods, events } = deps;

  function sealed(tokens: ProviderTokens): SealedTokens {
    if (cipher === null) return { accessTokenEncrypted: null, refreshTokenEncrypted: null };
    const seal = (token: string | null) => (token === null ? null : cipher.seal(token));
    // Providers send a refresh token at the first consent only (Google): a sign-in without one keeps the one kept.
    return { accessTokenEncrypted: seal(tokens.accessToken), ...(tokens.refreshToken === null ? {} : { refreshTokenEncrypted: seal(tokens.refreshToken) }) };
  }

  async function identityAt(userId: string, provider: string): Promise<Identity | null> {
    return (await repository.ofUser(userId)).find((identity) => identity.provider === provider) ?? null;
  }

  const identities: Identities = {
    find: (provider, subject) => repository.bySubject(provider, subject),

    async ofUser(userId) {
      return (await repository.ofUser(userId)).map(({ provider, email, createdAt, lastUsedAt }) => ({ provider, email, createdAt, lastUsedAt }));
    },

    async link(userId, provider, profile, tokens) {
      const existing = await repository.bySubject(provider, profile.subject);
      if (existing !== null) {
        if (existing.userId !== userId) throw new CoreError("identity_in_use");
        return identities.recordUse(existing, profile, tokens);
      }
      if ((await identityAt(userId, provider)) !== null) throw new CoreError("provider_already_linked");
      const now = clock.now();
      const { accessTokenEncrypted, refreshTokenEncrypted = null } = sealed(tokens);
      const { refused } = await repository.insert({
        id: random.uuid(),
        userId,
        provider,
        subject: profile.subject,
        email: profile.email,
        accessTokenEncrypted,
        refreshTokenEncrypted,
        createdAt: now,
        lastUsedAt: now,
      });
      // Two first sign-ins of one provider account racing: the unique index decides, as if we had seen the other.
      if (refused === "taken") throw new CoreError("identity_in_use");
      if (refused === "no_user") throw new CoreError("user_not_found");
    },

    async recordUse(identity, profile, tokens) {
      await repository.recordUse(identity.id, { email: profile.email, ...sealed(tokens), now: clock.now() });
    },

    async unlink(userId, provider, client) {
      const identity = await identityAt(userId, provider);
      if (identity === null) throw new CoreError("identity_not_found");
      if (!(await signInMethods.remove(userId, "identity", () => repository.remove(userId, identity.id)))) throw new CoreError("identity_not_found");
      events.record("provider_unlinked", { ip: client.ip, account: `user:${userId}`, reason: `provider:${provider}` });
    },

    async keptTokens(userId, provider) {
      const identity = await identityAt(userId, provider);
      if (cipher === null || identity === null || (identity.accessTokenEncrypted === null && identity.refreshTokenEncrypted === null)) return null;
      const open = (value: string | null) => (value === null ? null : cipher.open(value));
      return { accessToken: open(identity.accessTokenEncrypted), refreshToken: open(identity.refreshTokenEncrypted) };
    },
  };
  return identities;
}
