// lncrawl's guards, as Elysia macros that a route names in its table (routes.ts), answering in lncrawl's shape:
//   signedIn: true      the caller, from `Authorization: Bearer <lncrawl JWT>` or HTTP Basic (email:password on every
//                       request), else 401 with WWW-Authenticate; the handler gets `user`
//   mailedToken: true   the password-reset token of a mailed link, sent as the Bearer token, else 401; the handler gets
//                       `mailedToken` (core checks it)
// Basic is refused for a user with a second factor (decision 6): it would be access on the password alone.
// A token's account passes the caller gate on every request (a token outlives a ban); Basic is a sign-in, which
// checks the account it reads by the same rule.
import { admittedUser } from "../../core/accounts/caller-gate.ts";
import type { Account } from "../../core/accounts/users.ts";
import { anyOf } from "../security.ts";
import type { LncrawlContext } from "./context.ts";
import { LncrawlError } from "./errors.ts";
import { LNCRAWL_AUDIENCE } from "./user-view.ts";

function notAuthenticated(): LncrawlError {
  return new LncrawlError(401, "Not authenticated", null, { "www-authenticate": "Bearer" });
}

/** The caller's account (without its roles: nothing of lncrawl's reads them). */
export async function currentUser(ctx: LncrawlContext, request: Request): Promise<Account> {
  const authorization = request.headers.get("authorization") ?? "";
  const [scheme, credentials] = authorization.split(" ", 2) as [string, string | undefined];
  if (scheme.toLowerCase() === "bearer" && credentials) {
    const payload = await ctx.core.jwt.verify(credentials.trim(), { audience: LNCRAWL_AUDIENCE });
    if (typeof payload?.sub !== "string") throw notAuthenticated();
    const admission = await ctx.core.callerGate.admitAccount(payload.sub);
    // A deleted account's token is no credential at all; a banned or inactive one is told so (lncrawl's 403).
    if (admission.refusal === "deleted") throw notAuthenticated();
    return admittedUser(admission);
  }
  if (scheme.toLowerCase() === "basic" && credentials) {
    const decoded = Buffer.from(credentials.trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw notAuthenticated();
    // Who is asking is worked out only here: a Bearer request (the common one) never needs it.
    return ctx.core.login.withPasswordOnly(decoded.slice(0, colon), decoded.slice(colon + 1), ctx.clientOf(request));
  }
  throw notAuthenticated();
}

/** The token of a mailed reset link, which the lncrawl app sends as the Bearer token. */
export function mailedToken(headers: Headers): string {
  const authorization = headers.get("authorization") ?? "";
  if (!/^bearer /i.test(authorization)) throw new LncrawlError(401, "Not authenticated");
  return authorization.slice(7).trim();
}

export function lncrawlGuards(ctx: LncrawlContext) {
  return {
    signedIn: (_: true) => ({
      resolve: async ({ request }: { request: Request }) => ({ user: await currentUser(ctx, request) }),
      detail: { security: anyOf(["bearerJwt"], ["basicAuth"]) },
    }),
    mailedToken: (_: true) => ({
      resolve: ({ request }: { request: Request }) => ({ mailedToken: mailedToken(request.headers) }),
      detail: { security: anyOf(["mailedToken"]) },
    }),
  };
}
