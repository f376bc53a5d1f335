// POST /login and POST /signup (with a referrer's API token).
import { t } from "elysia";
import { MAX_PASSWORD_LENGTH } from "../../core/accounts/registration-policy.ts";
import type { LncrawlContext, LncrawlExchange } from "./context.ts";
import { LncrawlError } from "./errors.ts";
import { loginResponse, type LoginAnswer } from "./user-view.ts";

const PASSWORD = t.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH });

// `email` is a plain string, not an address: the bootstrap administrator signs in as `admin`.
export const loginBody = t.Object({ email: t.String({ minLength: 1, maxLength: 254 }), password: PASSWORD });
export const signupBody = t.Object({
  referrer: t.String({ minLength: 1, maxLength: 64 }),
  email: t.String({ format: "email", maxLength: 254 }),
  password: PASSWORD,
  name: t.Optional(t.Nullable(t.String({ maxLength: 128 }))),
});

export type LoginBody = typeof loginBody.static;
export type SignupBody = typeof signupBody.static;

/**
 * lncrawl answers 404 "No such user" for an unknown address; latchkey answers 401 for both, in the same time,
 * so login does not reveal which addresses have accounts.
 */
export async function login(ctx: LncrawlContext, exchange: LncrawlExchange, body: LoginBody): Promise<LoginAnswer> {
  const user = await ctx.core.login.withPasswordOnly(body.email, body.password, exchange.client);
  return loginResponse(ctx, user);
}

/** Invitation-only sign-up: the account is active at once (the referrer vouched for it). */
export async function signup(ctx: LncrawlContext, exchange: LncrawlExchange, body: SignupBody): Promise<LoginAnswer> {
  const referrer = await ctx.core.apiTokens.owner(body.referrer, exchange.client);
  if (!referrer.active) throw new LncrawlError(403, "User is inactive");
  const user = await ctx.core.users.register(
    { email: body.email, password: body.password, referrerId: referrer.userId, displayName: body.name ?? undefined },
    { active: true, registeredBy: "self" },
  );
  return loginResponse(ctx, user);
}
