// Faroe's models (User, EmailVerificationRequest, TOTPCredential, PasswordResetRequest): snake_case fields,
// timestamps in UNIX seconds, keys in standard base64. One schema (for the OpenAPI document) and one builder per
// model, shared by every route.
import { t } from "elysia";
import type { EmailVerificationRequest } from "../../core/challenges/email-verification.ts";
import type { PasswordResetRequest } from "../../core/challenges/reset-requests.ts";
import type { TotpCredential } from "../../core/second-factors/totp.ts";
import type { Account } from "../../core/accounts/users.ts";
import { integer } from "../route-docs.ts";
import type { FaroeContext } from "./context.ts";

function seconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

const unixSeconds = (what: string) => integer({ description: `${what}, in UNIX seconds` });

export const faroeUserSchema = t.Object(
  {
    id: t.String({ description: "latchkey's user id (a uuid), not Faroe's 24-character format: an opaque string" }),
    created_at: unixSeconds("Created"),
    email: t.String({ description: '"" for an account without an address (HBP\'s anonymous users)' }),
    email_verified: t.Boolean(),
    registered_totp: t.Boolean(),
  },
  { $id: "FaroeUser", additionalProperties: false },
);

export type FaroeUser = typeof faroeUserSchema.static;

export function userModel(user: Account, registeredTotp: boolean): FaroeUser {
  return {
    id: user.id,
    created_at: seconds(user.createdAt),
    email: user.email ?? "",
    email_verified: user.emailVerified,
    registered_totp: registeredTotp,
  };
}

export async function userReply(ctx: FaroeContext, user: Account): Promise<FaroeUser> {
  return userModel(user, await ctx.core.totp.isEnabled(user.id));
}

export const faroeEmailVerificationSchema = t.Object(
  { id: t.String(), user_id: t.String(), created_at: unixSeconds("Created"), expires_at: unixSeconds("Expires"), email: t.String(), code: t.String() },
  { $id: "FaroeEmailVerificationRequest", additionalProperties: false },
);

export type FaroeEmailVerificationRequest = typeof faroeEmailVerificationSchema.static;

export function emailVerificationModel(request: EmailVerificationRequest): FaroeEmailVerificationRequest {
  return {
    id: request.id,
    user_id: request.userId,
    created_at: seconds(request.createdAt),
    expires_at: seconds(request.expiresAt),
    email: request.email,
    code: request.code,
  };
}

export const faroeTotpCredentialSchema = t.Object(
  { id: t.String(), user_id: t.String(), created_at: unixSeconds("Created"), key: t.String({ description: "The 20-byte key, standard base64" }) },
  { $id: "FaroeTotpCredential", additionalProperties: false },
);

export type FaroeTotpCredential = typeof faroeTotpCredentialSchema.static;

export function totpModel(credential: TotpCredential): FaroeTotpCredential {
  return {
    id: credential.id,
    user_id: credential.userId,
    created_at: seconds(credential.createdAt),
    key: Buffer.from(credential.key).toString("base64"),
  };
}

export const faroePasswordResetSchema = t.Object(
  {
    id: t.String(),
    user_id: t.String(),
    created_at: unixSeconds("Created"),
    expires_at: unixSeconds("Expires"),
    email: t.String(),
    email_verified: t.Boolean(),
    two_factor_verified: t.Boolean({ description: "As Faroe's code (and its SDKs) spell it ..." }),
    twoFactorVerified: t.Boolean({ description: "... and as its REST reference does: both are sent" }),
    code: t.Optional(t.String({ description: "Only in the answer to the request's creation: the one time the code is shown" })),
  },
  { $id: "FaroePasswordResetRequest", additionalProperties: false },
);

export type FaroePasswordResetRequest = typeof faroePasswordResetSchema.static;

export function resetRequestModel(request: PasswordResetRequest, code?: string): FaroePasswordResetRequest {
  return {
    id: request.id,
    user_id: request.userId,
    created_at: seconds(request.createdAt),
    expires_at: seconds(request.expiresAt),
    email: request.email,
    email_verified: request.emailVerified,
    two_factor_verified: request.twoFactorVerified,
    twoFactorVerified: request.twoFactorVerified,
    ...(code === undefined ? {} : { code }),
  };
}

export const faroeRecoveryCodeSchema = t.Object({ recovery_code: t.String() }, { $id: "FaroeRecoveryCode", additionalProperties: false });

export type FaroeRecoveryCode = typeof faroeRecoveryCodeSchema.static;
