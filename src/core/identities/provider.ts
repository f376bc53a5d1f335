// What latchkey needs from a place people sign in at (GitHub, Google, any OpenID Connect provider): where to send the
// browser, and who came back. Each provider is one adapter over a maintained library (arctic for the built-in ones,
// openid-client for generic OIDC); the flow around it (state, PKCE, nonce, finding or making the account, the session)
// is core/identities/ and core/sign-in/, the same for every provider.

/** Who the provider says signed in. */
export interface ProviderProfile {
  /** The provider's stable id of the account (OIDC `sub`, GitHub's numeric id as text): how the identity is found. */
  subject: string;
  /** Lower-cased address, or null when the provider gave none. */
  email: string | null;
  /** True only when the provider says it checked the address (OIDC `email_verified`, GitHub's verified primary). */
  emailVerified: boolean;
  displayName: string | null;
  avatarUrl: string | null;
}

/** The provider's tokens, kept (encrypted) only when a setting asks for it. */
export interface ProviderTokens {
  accessToken: string | null;
  refreshToken: string | null;
}

/** What the start of a sign-in hands the adapter: the flow's secrets, made and kept by core/identities/. */
export interface AuthorizationRequest {
  /** The OAuth `state`: a single-use flow secret (core/challenges openFlow). */
  state: string;
  /** PKCE verifier (S256 challenge), for providers that take PKCE. */
  codeVerifier: string;
  /** OIDC `nonce`, for providers that issue ID tokens. */
  nonce: string;
  /** `${PUBLIC_URL}/auth/providers/<name>/callback`. */
  redirectUri: string;
}

/** What the callback hands the adapter. */
export interface CallbackInput {
  /** Every parameter of the callback (query, or the form of a form_post): `code`, Apple's `user` ... */
  params: Record<string, string>;
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
}

export interface IdentityProvider {
  /** As in the route: `github`, `google`, or an OIDC_PROVIDERS name. */
  readonly name: string;
  /** How the provider returns to the callback: a GET with a query, or a POST form (Apple's form_post). */
  readonly responseMode: "query" | "form_post";
  /** Where to send the browser. */
  authorizationUrl(request: AuthorizationRequest): Promise<URL>;
  /**
   * Exchanges the code and reads who signed in (ID token checked, userinfo or the provider's user API). Anything the
   * provider answered wrong throws a ProviderError; its code ends up in the failure redirect.
   */
  completeSignIn(input: CallbackInput): Promise<{ profile: ProviderProfile; tokens: ProviderTokens }>;
}

/** Why a provider sign-in failed, as the code the failure redirect carries (`?error=<code>`). */
export type ProviderErrorCode =
  /** The provider answered the callback with an error (the person said no, ...). */
  | "access_denied"
  /** The code exchange or a profile request failed, or answered something unusable. */
  | "provider_error"
  /** The ID token's signature, issuer, audience, expiry or nonce is wrong. */
  | "invalid_id_token"
  /** The provider gave no subject, or no address where one is needed to make an account. */
  | "profile_incomplete";

export class ProviderError extends Error {
  constructor(
    readonly code: ProviderErrorCode,
    /** For the log only (never a token): what the provider answered. */
    readonly detail?: string,
  ) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = "ProviderError";
  }
}
