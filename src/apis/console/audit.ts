// GET /audit: the audit log, newest first, filtered by administrator, action and target. There is no route that
// deletes or changes an entry.
import { t } from "elysia";
import type { ConsoleContext } from "./context.ts";
import { auditEntry, auditEntrySchema, NEXT } from "./views.ts";

export const auditQuery = t.Object(
  {
    admin: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "An administrator's account id" })),
    action: t.Optional(t.String({ minLength: 1, maxLength: 64, description: "e.g. sign_in, sign_in_failed, user_disabled" })),
    target: t.Optional(t.String({ minLength: 1, maxLength: 128, description: "e.g. user:<id>" })),
    after: t.Optional(t.String({ minLength: 1, maxLength: 1024, description: "The `next` of the page before" })),
    limit: t.Optional(t.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

export const auditAnswerSchema = t.Object({ entries: t.Array(auditEntrySchema), next: NEXT }, { additionalProperties: false });

export async function listAudit(ctx: ConsoleContext, query: typeof auditQuery.static): Promise<typeof auditAnswerSchema.static> {
  const { entries, next } = await ctx.core.administration.audit.page(
    { adminId: query.admin, action: query.action, target: query.target },
    query.after ?? null,
    query.limit ?? 50,
  );
  return { entries: entries.map(auditEntry), next };
}
