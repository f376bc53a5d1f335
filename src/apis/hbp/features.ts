// HBP's routes that a setting turns off, and the 404 each answers then, saying which setting turns it on (decision 5).
// A route names its feature in the table (routes.ts: `feature: "mfa"`), checked before anything else of the route,
// so a route that is off answers 404 to everyone, signed in or not.
import type { Config } from "../../config.ts";
import { featureDisabled, HbpError } from "./errors.ts";

type AuthSettings = Config["auth"];
/** What the features are switched by: the auth settings, and passkeys' own switch. */
type FeatureSettings = Pick<Config, "auth" | "webauthn">;

const FEATURES = {
  /** Passkeys (WebAuthn): every /auth/*webauthn* route. */
  webauthn: (_auth: AuthSettings, settings: FeatureSettings) =>
    settings.webauthn.enabled ? null : featureDisabled("Passkey sign-in", "WEBAUTHN_ENABLED"),
  mfa: (auth: AuthSettings) => (auth.mfaEnabled ? null : featureDisabled("Two-factor authentication", "MFA_ENABLED")),
  lostPassword: (auth: AuthSettings) => (auth.lostPasswordEnabled ? null : featureDisabled("Password reset", "LOST_PASSWORD_ENABLED")),
  selfDelete: (auth: AuthSettings) => (auth.allowUserSelfDelete ? null : featureDisabled("Self-deletion", "ALLOW_USER_SELF_DELETE")),
  /** POST /change-email: the address changes at once, which only makes sense while addresses are not verified. */
  directEmailChange: (auth: AuthSettings) => {
    if (!auth.changeEmailEnabled) return featureDisabled("Email change", "CHANGE_EMAIL_ENABLED");
    if (auth.verifyEmails) return new HbpError(404, "Direct email change is disabled while VERIFY_EMAILS=true; use /auth/change-email/request");
    return null;
  },
  /** /change-email/request and /change-email/change: the new address proves itself with a mailed ticket. */
  verifiedEmailChange: (auth: AuthSettings) => {
    if (!auth.changeEmailEnabled) return featureDisabled("Email change", "CHANGE_EMAIL_ENABLED");
    if (!auth.verifyEmails) return featureDisabled("Verified email change", "VERIFY_EMAILS");
    return null;
  },
} satisfies Record<string, (auth: AuthSettings, settings: FeatureSettings) => HbpError | null>;

export type HbpFeature = keyof typeof FEATURES;

/** Throws the feature's 404 when its setting has it off. */
export function assertFeature(settings: FeatureSettings, feature: HbpFeature): void {
  const off = FEATURES[feature](settings.auth, settings);
  if (off) throw off;
}
