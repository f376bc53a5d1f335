// Who is calling: `Authorization: Bearer <lncrawl JWT>` or HTTP Basic (email:password on every request).
// Basic is refused for a user with a second factor (decision 6): it would be access on the password alone.
import { assertCanSignIn, type User } from "../../core/users.ts";
import type { LncrawlContext, LncrawlExchange } from "./context.ts";
import { LncrawlError } from "./errors.ts";
import { LNCRAWL_AUDIENCE } from "./user-view.ts";

function notAuthenticated(): LncrawlError {
  return new LncrawlError(401, "Not authenticated", null, { "www-authenticate": "Bearer" });
}

export async function currentUser(ctx: LncrawlContext, exchange: LncrawlExchange): Promise<User> {
  const authorization = exchange.headers.get("authorization") ?? "";
  const [scheme, credentials] = authorization.split(" ", 2) as [string, string | undefined];
  let user: User | null = null;
  if (scheme.toLowerCase() === "bearer" && credentials) {
    const payload = await ctx.core.jwt.verify(credentials.trim(), { audience: LNCRAWL_AUDIENCE });
    if (typeof payload?.sub !== "string") throw notAuthenticated();
    user = await ctx.core.users.findById(payload.sub);
  } else if (scheme.toLowerCase() === "basic" && credentials) {
    const decoded = Buffer.from(credentials.trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw notAuthenticated();
    user = await ctx.core.signIn.withPasswordOnly(decoded.slice(0, colon), decoded.slice(colon + 1), exchange.client);
  }
  if (!user) throw notAuthenticated();
  // A token outlives a ban: the account is checked on every request.
  assertCanSignIn(user);
  return user;
}
