// What each kind of challenge is for, what its secret looks like, how long it lives, how many tries it allows, how it
// is kept at rest and how it reaches the user. Two shapes:
//
// Tickets: a bearer secret of >= 122 random bits (a uuid v4, HBP's format, or a dialect's base64url token), stored as
// SHA-256 (a digest is enough: nobody can guess it, so no slow hash is needed), found by that digest and used up by
// one atomic DELETE. Guessing is hopeless, so tries are not counted per ticket; `guesses` limits them per client IP.
//   activate-account  mailed link (the mail worker mints it)       TICKET_EXPIRES_IN_SECONDS or the dialect's own
//   reset-password    mailed link (the mail worker mints it)       TICKET_EXPIRES_IN_SECONDS or the dialect's own
//   change-email      mailed link to the new address               TICKET_EXPIRES_IN_SECONDS; data: { newEmail }
//   magic-link        mailed sign-in link                          TICKET_EXPIRES_IN_SECONDS
//   mfa-login         answered to the caller after the password    TICKET_EXPIRES_IN_SECONDS; peeked per TOTP try
//   email-otp         answered to the caller; a 6-digit code is    5 minutes; data: { email, codeHash } (argon2id:
//                     mailed by the worker, which stores its hash   20 bits, every try counted per user)
//
// Requests: found by a random id the caller holds, proved by a short code a person types (40 bits, randomShortCode),
// so each allows a few wrong tries and then goes; tries at one request run one at a time (see Challenges.tryCode).
// The caller (Faroe's server) receives the code and mails it itself.

export type TicketPurpose = "activate-account" | "reset-password" | "change-email" | "magic-link" | "mfa-login" | "email-otp";

export type RequestPurpose = "email-verification" | "password-reset-request";

// Flows: a single-use state a sign-in flow hands the browser or authenticator and gets back (core/identities/,
// passkeys): a 32-byte random secret stored as SHA-256, used up by one atomic DELETE, for a user when one is known.
//   oauth-state              the OAuth/OIDC `state`; data: provider, PKCE verifier, nonce, redirect, link  10 minutes
//   webauthn-registration    a passkey registration challenge; data: what the verify step needs            5 minutes
//   webauthn-authentication  a passkey sign-in challenge (no user: a discoverable-credential sign-in)      5 minutes
export type FlowPurpose = "oauth-state" | "webauthn-registration" | "webauthn-authentication";

export type ChallengePurpose = TicketPurpose | RequestPurpose | FlowPurpose;

export interface RequestKind {
  expiresInSeconds: number;
  /** Wrong codes a request survives; the next try deletes it. */
  maxAttempts: number;
  /** How the code is kept: argon2id (a person types it, and it is short), or as it is where the API shows it again. */
  codeAtRest: "argon2id" | "as-is";
}

export const REQUEST_KINDS: Record<RequestPurpose, RequestKind> = {
  // Faroe's GET of a verification request shows its code again: that contract forces keeping the code as it is.
  // It is of use for 10 minutes only, and housekeeping deletes it when it expires. 5 tries at a 40-bit code: a
  // 5-in-10^12 chance.
  "email-verification": { expiresInSeconds: 10 * 60, maxAttempts: 5, codeAtRest: "as-is" },
  // The code is shown once, when the request is made.
  "password-reset-request": { expiresInSeconds: 10 * 60, maxAttempts: 5, codeAtRest: "argon2id" },
};

