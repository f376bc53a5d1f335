// What an administrator does to an account: create, disable and enable, delete, end sessions, remove the second
// factor, mail a reset or activation link, set roles. Each is one core call (core/administration/user-administration.ts),
// which writes its audit entry.
import { t } from "elysia";
import type { Actor } from "../../core/administration/audit-log.ts";
import { MAX_PASSWORD_LENGTH } from "../../core/accounts/registration-policy.ts";
import type { ConsoleContext } from "./context.ts";
import { owned, ownedSchema, userSummary, userSummarySchema, type UserSummary } from "./views.ts";

const ROLE = t.String({ minLength: 1, maxLength: 64 });

export const createUserBody = t.Object(
  {
    email: t.String({ format: "email", maxLength: 254 }),
    password: t.Optional(
      t.Nullable(t.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH, description: "Omitted or null: no password (a reset mail sets one)" })),
    ),
    roles: t.Optional(t.Array(ROLE, { maxItems: 32, description: "Roles beyond DEFAULT_ALLOWED_USER_ROLES: each of ALLOWED_USER_ROLES, or admin" })),
  },
  { additionalProperties: false },
);

export const rolesBody = t.Object(
  { roles: t.Array(ROLE, { minItems: 1, maxItems: 32, description: "Every role the account is to have, its default role among them" }) },
  { additionalProperties: false },
);

export const sessionParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }), session_id: t.String({ minLength: 1, maxLength: 64 }) });
export const passkeyParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }), passkey_id: t.String({ minLength: 1, maxLength: 1024 }) });

export const identityParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }), provider: t.String({ minLength: 1, maxLength: 64 }) });

export const userAnswerSchema = t.Object({ user: userSummarySchema }, { additionalProperties: false });
export const deletedAnswerSchema = t.Object({ deleted: ownedSchema }, { additionalProperties: false });
export const revokedAnswerSchema = t.Object({ revoked: t.Integer({ description: "how many sessions were live" }) }, { additionalProperties: false });
export const secondFactorAnswerSchema = t.Object(
  { had_totp: t.Boolean({ description: "whether a TOTP authenticator was set up" }) },
  { additionalProperties: false },
);

type UserAnswer = { user: UserSummary };

export async function createUser(ctx: ConsoleContext, actor: Actor, body: typeof createUserBody.static): Promise<UserAnswer> {
  const user = await ctx.core.administration.userActions.create(actor, { email: body.email, password: body.password ?? null, roles: body.roles ?? [] });
  return { user: userSummary(user) };
}

export async function setDisabled(ctx: ConsoleContext, actor: Actor, id: string, disabled: boolean): Promise<UserAnswer> {
  return { user: userSummary(await ctx.core.administration.userActions.setDisabled(actor, id, disabled)) };
}

export async function deleteUser(ctx: ConsoleContext, actor: Actor, id: string): Promise<typeof deletedAnswerSchema.static> {
  return { deleted: owned(await ctx.core.administration.userActions.delete(actor, id)) };
}

export async function revokeSession(ctx: ConsoleContext, actor: Actor, id: string, sessionId: string): Promise<void> {
  await ctx.core.administration.userActions.revokeSession(actor, id, sessionId);
}

export async function revokeAllSessions(ctx: ConsoleContext, actor: Actor, id: string): Promise<typeof revokedAnswerSchema.static> {
  return { revoked: await ctx.core.administration.userActions.revokeAllSessions(actor, id) };
}

export async function removeSecondFactor(ctx: ConsoleContext, actor: Actor, id: string): Promise<typeof secondFactorAnswerSchema.static> {
  return { had_totp: await ctx.core.administration.userActions.removeSecondFactor(actor, id) };
}

export async function removePasskey(ctx: ConsoleContext, actor: Actor, id: string, passkeyId: string): Promise<void> {
  await ctx.core.administration.userActions.removePasskey(actor, id, passkeyId);
}

export async function unlinkIdentity(ctx: ConsoleContext, actor: Actor, id: string, provider: string): Promise<void> {
  await ctx.core.administration.userActions.unlinkIdentity(actor, id, provider);
}

export async function sendPasswordReset(ctx: ConsoleContext, actor: Actor, id: string): Promise<void> {
  await ctx.core.administration.userActions.sendPasswordReset(actor, id);
}

export async function sendActivation(ctx: ConsoleContext, actor: Actor, id: string): Promise<void> {
  await ctx.core.administration.userActions.sendActivation(actor, id);
}

export async function setRoles(ctx: ConsoleContext, actor: Actor, id: string, roles: string[]): Promise<UserAnswer> {
  return { user: userSummary(await ctx.core.administration.userActions.setRoles(actor, id, roles)) };
}
