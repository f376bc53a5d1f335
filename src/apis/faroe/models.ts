// Faroe's models (User, EmailVerificationRequest, TOTPCredential, PasswordResetRequest): snake_case fields,
// timestamps in UNIX seconds, keys in standard base64. One builder per model, shared by every route.
import type { EmailVerificationRequest } from "../../core/email-verification.ts";
import type { PasswordResetRequest } from "../../core/reset-requests.ts";
import type { TotpCredential } from "../../core/second-factors/totp.ts";
import type { UserRow } from "../../db/schema.ts";
import type { FaroeContext } from "./context.ts";

function seconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

export interface FaroeUser {
  /** latchkey's user id (a uuid), not Faroe's 24-character format: clients treat it as an opaque string. */
  id: string;
  created_at: number;
  /** "" for an account without an address (HBP's anonymous users). */
  email: string;
  email_verified: boolean;
  registered_totp: boolean;
}

export function userModel(user: UserRow, registeredTotp: boolean): FaroeUser {
  return {
    id: user.id,
    created_at: seconds(user.createdAt),
    email: user.email ?? "",
    email_verified: user.emailVerified,
    registered_totp: registeredTotp,
  };
}

export async function userReply(ctx: FaroeContext, user: UserRow): Promise<FaroeUser> {
  return userModel(user, await ctx.core.totp.isEnabled(user.id));
}

export interface FaroeEmailVerificationRequest {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  email: string;
  code: string;
}

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

export interface FaroeTotpCredential {
  id: string;
  user_id: string;
  created_at: number;
  /** The 20-byte key, standard base64. */
  key: string;
}

export function totpModel(credential: TotpCredential): FaroeTotpCredential {
  return {
    id: credential.id,
    user_id: credential.userId,
    created_at: seconds(credential.createdAt),
    key: Buffer.from(credential.key).toString("base64"),
  };
}

export interface FaroePasswordResetRequest {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  email: string;
  email_verified: boolean;
  /** The field as Faroe's code (and its SDKs) spell it ... */
  two_factor_verified: boolean;
  /** ... and as its REST reference does: both are sent. */
  twoFactorVerified: boolean;
  /** Only in the answer to the request's creation: the one time the code is shown. */
  code?: string;
}

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

export interface FaroeRecoveryCode {
  recovery_code: string;
}
