// GET /users (search, keyset pages) and GET /users/:id (the user page).
import { t } from "elysia";
import type { ConsoleContext } from "./context.ts";
import { NEXT, userDetails, userDetailsSchema, userSummary, userSummarySchema } from "./views.ts";

export const searchQuery = t.Object(
  {
    q: t.Optional(t.String({ maxLength: 254, description: "An account id (exact), or the start of an address or username; empty: every account, newest first" })),
    role: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "Only accounts with this role" })),
    after: t.Optional(t.String({ minLength: 1, maxLength: 1024, description: "The `next` of the page before" })),
    limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 25 })),
  },
  { additionalProperties: false },
);

export const userParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) });

export const searchAnswerSchema = t.Object({ users: t.Array(userSummarySchema), next: NEXT }, { additionalProperties: false });

export async function searchUsers(ctx: ConsoleContext, query: typeof searchQuery.static): Promise<typeof searchAnswerSchema.static> {
  const { users, next } = await ctx.core.administration.search.search({
    q: query.q ?? "",
    role: query.role ?? null,
    after: query.after ?? null,
    limit: query.limit ?? 25,
  });
  return { users: users.map(userSummary), next };
}

export async function showUser(ctx: ConsoleContext, id: string): Promise<typeof userDetailsSchema.static> {
  return userDetails(await ctx.core.administration.accounts.of(id));
}
