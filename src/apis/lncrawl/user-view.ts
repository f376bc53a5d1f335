// lncrawl's User object and its JWT (spec/lncrawl.md: `sub`, `scopes` = [role, tier], 7 days by default).
import { t } from "elysia";
import type { Account } from "../../core/accounts/users.ts";
import { integer } from "../route-docs.ts";
import type { LncrawlContext } from "./context.ts";

export const LNCRAWL_AUDIENCE = "lncrawl";

export const lncrawlUserSchema = t.Object(
  {
    id: t.String(),
    created_at: integer({ description: "UNIX milliseconds" }),
    updated_at: integer({ description: "UNIX milliseconds" }),
    referrer_id: t.Nullable(t.String()),
    email: t.Nullable(t.String({ description: "The address, or the login of an administrator without one" })),
    name: t.Nullable(t.String()),
    role: t.Union([t.Literal("admin"), t.Literal("user")]),
    tier: integer(),
    is_active: t.Boolean(),
    is_verified: t.Boolean(),
    extra: t.Record(t.String(), t.Unknown()),
  },
  { $id: "LncrawlUser", additionalProperties: false },
);

export type LncrawlUser = typeof lncrawlUserSchema.static;

export const loginAnswerSchema = t.Object(
  { token: t.String({ description: "A JWT for `Authorization: Bearer`" }), user: lncrawlUserSchema },
  { additionalProperties: false },
);

export type LoginAnswer = typeof loginAnswerSchema.static;

export function lncrawlRole(user: Account): "admin" | "user" {
  return user.defaultRole === "admin" ? "admin" : "user";
}

export function lncrawlUser(user: Account): LncrawlUser {
  return {
    id: user.id,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    referrer_id: user.referrerId,
    // The bootstrap administrator may have a username and no address; lncrawl shows its login identifier.
    email: user.email ?? user.username,
    name: user.displayName,
    role: lncrawlRole(user),
    tier: user.tier,
    is_active: user.active && !user.disabled,
    is_verified: user.emailVerified,
    extra: {},
  };
}

export async function loginResponse(ctx: LncrawlContext, user: Account): Promise<LoginAnswer> {
  const token = await ctx.core.jwt.sign(
    { scopes: [lncrawlRole(user), String(user.tier)] },
    { subject: user.id, lifetimeSeconds: ctx.config.lncrawl.tokenExpiresInMinutes * 60, audience: LNCRAWL_AUDIENCE },
  );
  return { token, user: lncrawlUser(user) };
}
