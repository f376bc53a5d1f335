// POST /users, GET /users, GET /users/[id], DELETE /users/[id], and the lookup every /users/[id]/* route starts with.
import { t } from "elysia";
import type { User } from "../../core/accounts/users.ts";
import type { SortOrder, UserSortKey } from "../../core/accounts/user-directory.ts";
import type { Exchange, FaroeContext } from "./context.ts";
import { notFound, withErrorCodes } from "./errors.ts";
import { checkEmail, checkNewPassword } from "./input.ts";
import { userModel, userReply, type FaroeUser } from "./models.ts";

// Faroe's JSON decoding ignores fields it does not know: so do these schemas.
export const createUserBody = t.Object({ email: t.String(), password: t.String() }, { additionalProperties: true });
export const listUsersQuery = t.Object(
  { sort_by: t.Optional(t.String()), sort_order: t.Optional(t.String()), count: t.Optional(t.String()), page: t.Optional(t.String()) },
  { additionalProperties: true },
);

export type CreateUserBody = typeof createUserBody.static;
export type ListUsersQuery = typeof listUsersQuery.static;

/** The user the path names, or 404 NOT_FOUND. */
export async function requireUser(ctx: FaroeContext, userId: string): Promise<User> {
  const user = await ctx.core.users.findById(userId);
  if (!user) throw notFound();
  return user;
}

/**
 * A user with a password, signed in through every dialect; the recovery code is made at once, as Faroe does.
 * Made by the operator's own backend (`registeredBy: "operator"`): the registration policy's domains and password
 * rules apply, REGISTRATION_ENABLED=false does not (core/accounts/registration-policy.ts says why).
 */
export async function createUser(ctx: FaroeContext, _exchange: Exchange, body: CreateUserBody): Promise<FaroeUser> {
  checkEmail(body.email);
  checkNewPassword(body.password, "PASSWORD_TOO_LARGE");
  const user = await withErrorCodes({ password_too_long: "PASSWORD_TOO_LARGE" }, () =>
    ctx.core.users.register(
      { email: body.email, password: body.password },
      { active: ctx.config.auth.autoActivateNewUsers, registeredBy: "operator" },
    ),
  );
  await ctx.core.secondFactorReset.newCode(user.id);
  return userModel(user, false);
}

const SORT_KEYS: readonly UserSortKey[] = ["created_at", "email", "id"];

/** A query value as a whole number of at least 1, or the default (Faroe falls back quietly, as here). */
function positiveInteger(value: string | undefined, fallback: number): number {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return fallback;
  const number = Number(value);
  return number >= 1 ? number : fallback;
}

/** A bare array, `[]` past the end; no total (Faroe has none). Unknown sort keys fall back to the defaults. */
export async function listUsers(ctx: FaroeContext, query: ListUsersQuery): Promise<FaroeUser[]> {
  const sortBy = SORT_KEYS.find((key) => key === query.sort_by) ?? "created_at";
  const order: SortOrder = query.sort_order === "descending" ? "descending" : "ascending";
  const rows = await ctx.core.userDirectory.list({
    sortBy,
    order,
    count: positiveInteger(query.count, 20),
    page: positiveInteger(query.page, 1),
  });
  const withTotp = await ctx.core.totp.enabledAmong(rows.map((row) => row.id));
  return rows.map((row) => userModel(row, withTotp.has(row.id)));
}

export async function getUser(ctx: FaroeContext, userId: string): Promise<FaroeUser> {
  return userReply(ctx, await requireUser(ctx, userId));
}

/** Sessions, TOTP, recovery codes and requests go with the account (the foreign keys cascade). */
export async function deleteUser(ctx: FaroeContext, userId: string): Promise<void> {
  if (!(await ctx.core.users.delete(userId))) throw notFound();
}
