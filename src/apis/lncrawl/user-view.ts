// lncrawl's User object and its JWT (spec/lncrawl.md: `sub`, `scopes` = [role, tier], 7 days by default).
import type { User } from "../../core/users.ts";
import type { LncrawlContext } from "./context.ts";

export const LNCRAWL_AUDIENCE = "lncrawl";

export interface LncrawlUser {
  id: string;
  created_at: number;
  updated_at: number;
  referrer_id: string | null;
  email: string | null;
  name: string | null;
  role: "admin" | "user";
  tier: number;
  is_active: boolean;
  is_verified: boolean;
  extra: Record<string, unknown>;
}

export function lncrawlRole(user: User): "admin" | "user" {
  return user.defaultRole === "admin" ? "admin" : "user";
}

export function lncrawlUser(user: User): LncrawlUser {
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

export async function loginResponse(ctx: LncrawlContext, user: User): Promise<{ token: string; user: LncrawlUser }> {
  const token = await ctx.core.jwt.sign(
    { scopes: [lncrawlRole(user), String(user.tier)] },
    { subject: user.id, lifetimeSeconds: ctx.config.lncrawl.tokenExpiresInMinutes * 60, audience: LNCRAWL_AUDIENCE },
  );
  return { token, user: lncrawlUser(user) };
}
