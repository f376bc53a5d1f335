// HBP's TOTP routes, a slice of the auth table (routes.ts): set TOTP up and turn it on or off (MFA_ENABLED), and
// the second sign-in step with a code. Handlers: mfa.ts.
import { json, noContent } from "../route-docs.ts";
import type { HbpContext } from "./context.ts";
import { hbpAuthDoc as doc, RATE_LIMITED } from "./docs.ts";
import type { HbpAuthApp } from "./routes.ts";
import { disableMfa, enableMfa, generateMfa, mfaCodeBody, mfaSecretSchema, mfaTotpBody, totpSignIn } from "./mfa.ts";
import { NOT_SIGNED_IN, session } from "./route-answers.ts";

/** /mfa/generate, /mfa/enable, /mfa/disable, /mfa/totp. */
export function mfaRoutes(ctx: HbpContext) {
  return (app: HbpAuthApp) =>
    app
      .post("/mfa/generate", ({ caller }) => generateMfa(ctx, caller.user), {
        feature: "mfa",
        signedIn: true,
        detail: doc("A new TOTP secret and its QR code (MFA_ENABLED)", {
          200: json(mfaSecretSchema, "The secret to enter in an authenticator app; TOTP stays off until /auth/mfa/enable."),
          400: "TOTP is already on.",
          401: NOT_SIGNED_IN,
          404: "Two-factor authentication is disabled (MFA_ENABLED).",
        }),
      })
      .post("/mfa/enable", ({ exchange, caller, body }) => enableMfa(ctx, exchange, caller.user.id, body.code), {
        feature: "mfa",
        signedIn: true,
        body: mfaCodeBody,
        detail: doc("Turn TOTP on with a code from the app", {
          204: noContent("TOTP is on: sign-ins now ask for a code."),
          400: "TOTP is already on, or no secret was generated.",
          401: `${NOT_SIGNED_IN} Or the code is wrong.`,
          404: "Two-factor authentication is disabled (MFA_ENABLED).",
          429: RATE_LIMITED,
        }),
      })
      .post("/mfa/disable", ({ exchange, caller, body }) => disableMfa(ctx, exchange, caller.user.id, body.code), {
        feature: "mfa",
        signedIn: true,
        body: mfaCodeBody,
        detail: doc("Turn TOTP off with a code from the app", {
          204: noContent("TOTP is off."),
          400: "TOTP is not on.",
          401: `${NOT_SIGNED_IN} Or the code is wrong.`,
          404: "Two-factor authentication is disabled (MFA_ENABLED).",
          429: RATE_LIMITED,
        }),
      })
      .post("/mfa/totp", ({ exchange, body }) => totpSignIn(ctx, exchange, body), {
        body: mfaTotpBody,
        detail: doc("Second sign-in step: the login ticket and a TOTP code", {
          200: session,
          400: "The account is not activated.",
          401: "The ticket is unknown or expired, the code is wrong, or the account is disabled.",
          429: RATE_LIMITED,
        }),
      });
}
