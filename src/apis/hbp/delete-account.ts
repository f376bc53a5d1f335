// POST /auth/delete (ALLOW_USER_SELF_DELETE)
import type { Exchange, HbpContext } from "./context.ts";
import { HbpError } from "./errors.ts";

export async function deleteAccount(ctx: HbpContext, exchange: Exchange, userId: string): Promise<void> {
  if (!(await ctx.core.users.delete(userId))) throw new HbpError(401, "Unable to delete account");
  exchange.setCookie(...ctx.cookies.clearedCookies());
}
