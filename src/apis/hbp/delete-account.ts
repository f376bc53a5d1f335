// POST /auth/delete (ALLOW_USER_SELF_DELETE)
import type { Exchange, HbpContext } from "./context.ts";
import { featureDisabled, HbpError } from "./errors.ts";
import { requireUserId } from "./request-auth.ts";

export async function deleteAccount(ctx: HbpContext, exchange: Exchange): Promise<void> {
  if (!ctx.config.auth.allowUserSelfDelete) throw featureDisabled("Self-deletion", "ALLOW_USER_SELF_DELETE");
  const userId = await requireUserId(ctx, exchange.headers, "Unable to delete account");
  if (!(await ctx.core.users.delete(userId))) throw new HbpError(401, "Unable to delete account");
  exchange.setCookie(...ctx.cookies.clearedCookies());
}
