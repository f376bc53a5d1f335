// GET /security-events: failed sign-ins, lockouts, disabled-account attempts and admin-secret uses, newest first,
// filtered by account and client address (kept SECURITY_EVENTS_KEEP_DAYS).
import { t } from "elysia";
import type { ConsoleContext } from "./context.ts";
import { NEXT, securityEvent, securityEventSchema } from "./views.ts";

export const eventsQuery = t.Object(
  {
    account: t.Optional(t.String({ minLength: 1, maxLength: 330, description: "As the events name it: `email:<address>` or `user:<id>`" })),
    ip: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
    event: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "e.g. sign_in_failed, locked_out" })),
    after: t.Optional(t.String({ minLength: 1, maxLength: 1024, description: "The `next` of the page before" })),
    limit: t.Optional(t.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

export const eventsAnswerSchema = t.Object({ events: t.Array(securityEventSchema), next: NEXT }, { additionalProperties: false });

export async function listSecurityEvents(ctx: ConsoleContext, query: typeof eventsQuery.static): Promise<typeof eventsAnswerSchema.static> {
  const { events, next } = await ctx.core.administration.securityEvents.page(
    { account: query.account, ip: query.ip, event: query.event },
    query.after ?? null,
    query.limit ?? 50,
  );
  return { events: events.map(securityEvent), next };
}
