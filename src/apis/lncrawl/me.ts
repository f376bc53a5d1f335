// GET /me, PUT /me/name, PUT /me/password.
import { t } from "elysia";
import { MAX_PASSWORD_LENGTH } from "../../core/accounts/registration-policy.ts";
import type { Account } from "../../core/accounts/users.ts";
import type { LncrawlContext, LncrawlExchange } from "./context.ts";
import { lncrawlUser, type LncrawlUser } from "./user-view.ts";

export const nameBody = t.Object({ name: t.String({ minLength: 1, maxLength: 128 }) });
export const passwordBody = t.Object({
  old_password: t.String({ maxLength: MAX_PASSWORD_LENGTH }),
  new_password: t.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
});

export function me(user: Account): LncrawlUser {
  return lncrawlUser(user);
}

export async function changeName(ctx: LncrawlContext, user: Account, name: string): Promise<true> {
  await ctx.core.users.setDisplayName(user.id, name);
  return true;
}

/** Ends the user's refresh-token sessions elsewhere (HBP, WolfPal); lncrawl's own JWTs are stateless. */
export async function changePassword(
  ctx: LncrawlContext,
  exchange: LncrawlExchange,
  user: Account,
  body: typeof passwordBody.static,
): Promise<true> {
  await ctx.core.passwordReset.change(user.id, body.old_password, body.new_password, { ...exchange.client, keepSession: null });
  return true;
}
