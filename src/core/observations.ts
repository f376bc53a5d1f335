// What core reports as it works, for the operator's metrics (GET /metrics, src/metrics.ts). A port: core says what
// happened, the composition decides what to count; core knows nothing of Prometheus. Every method is a counter bump
// or a histogram sample: cheap, synchronous, never throws, never carries a secret or an account's name.

/** How a password sign-in ended (every dialect's, through core/passwords/password-check.ts and core/sign-in/login.ts). */
export type SignInResult =
  /** Signed in: a session, a token or the user the API asked for. */
  | "success"
  /** A wrong password, or an unknown account (the two fail alike). */
  | "wrong_password"
  /** Refused by the guess limits before the password was checked. */
  | "throttled"
  /** The password was right and the account has TOTP: a second step follows (or `mfa_required`). */
  | "second_factor"
  /** The password was right but the account may not sign in (disabled, not activated). */
  | "refused";

export type PasswordHashOperation = "hash" | "verify";

/** A sign-in without a password: through a provider (OAuth, OpenID Connect) or with a passkey. */
export type PasswordlessMethod = "provider" | "passkey";

/** How it ended. */
export type PasswordlessResult =
  /** Signed in. */
  | "success"
  /** The account has TOTP: a second step follows (a provider's sign-in answers an mfa_ticket). */
  | "second_factor"
  /** Refused by the guess limits before the response was checked (passkeys). */
  | "throttled"
  /** Anything else: a wrong or replayed state or assertion, a provider's refusal, a disabled account. */
  | "failed";

export interface Observations {
  signIn(result: SignInResult): void;
  passwordlessSignIn(method: PasswordlessMethod, result: PasswordlessResult): void;
  /** An argon2id (or imported bcrypt) computation took `seconds`, its wait for a thread included. */
  passwordHash(operation: PasswordHashOperation, seconds: number): void;
  /** The mail worker handed a mail to the transport. */
  mailSent(): void;
  /** A mail attempt failed; `gaveUp`: it was the last attempt. */
  mailFailed(options: { gaveUp: boolean }): void;
}

/** Nothing observed: for tools (CLI commands) and tests that build core without metrics. */
export const noObservations: Observations = {
  signIn() {},
  passwordlessSignIn() {},
  passwordHash() {},
  mailSent() {},
  mailFailed() {},
};
