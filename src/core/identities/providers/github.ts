// GitHub, and GitHub Enterprise through HBP's GITHUB_AUTHORIZATION_URL, GITHUB_TOKEN_URL and GITHUB_USER_PROFILE_URL.
// Scope `user:email` (HBP's): the addresses, with GitHub's word on which are verified, come from /user/emails; the
// public address on /user may be any of them, or none. An address counts as verified only when it is the primary one
// and GitHub says it is verified: that is the address GitHub itself mails and signs in with.
import { GitHub, OAuth2Client, type OAuth2Tokens } from "arctic";
import type { GitHubSettings } from "../../../config-builtin-providers.ts";
import { ProviderError, type IdentityProvider, type ProviderProfile } from "../provider.ts";
import { callbackCode, exchangeCode, fetchProviderJson, providerTokens } from "./provider-calls.ts";
import { emailOf, httpUrlOf, subjectOf, textOf } from "./profile-fields.ts";

const SCOPES = ["user:email"];
const GITHUB_AUTHORIZATION_URL = "https://github.com/login/oauth/authorize";
const GITHUB_TOKEN_URL = "https://github.com/login/oauth/access_token";
const GITHUB_USER_URL = "https://api.github.com/user";
/** GitHub's REST media type; GitHub Enterprise Server answers it too. */
const GITHUB_JSON = { Accept: "application/vnd.github+json" };

interface GitHubClient {
  authorizationUrl(state: string): URL;
  exchange(code: string): Promise<OAuth2Tokens>;
}

export function createGitHubProvider(settings: GitHubSettings): IdentityProvider {
  const userUrl = settings.userProfileUrl ?? GITHUB_USER_URL;
  const emailsUrl = `${userUrl}/emails`;
  const movedEndpoints = settings.authorizationUrl !== null || settings.tokenUrl !== null;

  // arctic's GitHub class knows github.com's endpoints; GitHub Enterprise's are given to its generic client, which
  // speaks the same protocol (client secret in HTTP Basic, no PKCE).
  const client = (redirectUri: string): GitHubClient => {
    if (!movedEndpoints) {
      const github = new GitHub(settings.clientId, settings.clientSecret, redirectUri);
      return { authorizationUrl: (state) => github.createAuthorizationURL(state, SCOPES), exchange: (code) => github.validateAuthorizationCode(code) };
    }
    const oauth = new OAuth2Client(settings.clientId, settings.clientSecret, redirectUri);
    return {
      authorizationUrl: (state) => oauth.createAuthorizationURL(settings.authorizationUrl ?? GITHUB_AUTHORIZATION_URL, state, SCOPES),
      exchange: (code) => oauth.validateAuthorizationCode(settings.tokenUrl ?? GITHUB_TOKEN_URL, code, null),
    };
  };

  return {
    name: "github",
    responseMode: "query",
    async authorizationUrl(request) {
      return client(request.redirectUri).authorizationUrl(request.state);
    },
    async completeSignIn(input) {
      const code = callbackCode(input.params);
      const tokens = await exchangeCode(() => client(input.redirectUri).exchange(code));
      const accessToken = tokens.accessToken();
      const user = (await fetchProviderJson(userUrl, accessToken, GITHUB_JSON)) as Record<string, unknown>;
      const emails = await fetchProviderJson(emailsUrl, accessToken, GITHUB_JSON);
      if (!Array.isArray(emails)) throw new ProviderError("provider_error", `${new URL(emailsUrl).pathname} answered something that is not a list`);
      return { profile: { subject: subjectOf(user.id), ...addressOf(user, emails), ...personOf(user) }, tokens: providerTokens(tokens) };
    },
  };
}

/** The primary address, verified only when GitHub says so; without a primary, the public one, unverified. */
function addressOf(user: Record<string, unknown>, emails: unknown[]): Pick<ProviderProfile, "email" | "emailVerified"> {
  const entries = emails.filter((entry): entry is Record<string, unknown> => typeof entry === "object" && entry !== null);
  const primary = entries.find((entry) => entry.primary === true);
  const primaryEmail = emailOf(primary?.email);
  if (primaryEmail !== null) return { email: primaryEmail, emailVerified: primary?.verified === true };
  return { email: emailOf(user.email), emailVerified: false };
}

/** HBP's display name (passport's: the name, else the login) and avatar. */
function personOf(user: Record<string, unknown>): Pick<ProviderProfile, "displayName" | "avatarUrl"> {
  return { displayName: textOf(user.name) ?? textOf(user.login), avatarUrl: httpUrlOf(user.avatar_url) };
}
