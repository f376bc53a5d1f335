// POST /login/password (the seed's path) and POST /authenticate/password (Faroe's code): checks a password and
// answers the user. No session: the caller's backend makes its own, and asks for TOTP when `registered_totp`.
import { t } from "elysia";
import type { Exchange, FaroeContext } from "./context.ts";
import { withErrorCodes } from "./errors.ts";
import { userReply, type FaroeUser } from "./models.ts";

export const authenticateBody = t.Object({ email: t.String(), password: t.String() }, { additionalProperties: true });

export type AuthenticateBody = typeof authenticateBody.static;

export async function authenticateWithPassword(ctx: FaroeContext, exchange: Exchange, body: AuthenticateBody): Promise<FaroeUser> {
  const user = await withErrorCodes({ user_not_found: "USER_NOT_EXISTS" }, () =>
    ctx.core.passwordCheck.checkListed(body.email, body.password, exchange.client),
  );
  return userReply(ctx, user);
}
