// The Backups page's API: the backups at BACKUP_URL and the schedule, a backup made now (the code the schedule and
// `latchkey backup` run), and one backup downloaded, streamed. Making and downloading one are audited: a backup holds
// every password hash and second-factor secret. Restoring is not here: `latchkey restore` needs the server stopped.
import { t } from "elysia";
import type { Actor } from "../../core/administration/audit-log.ts";
import { redactText } from "../../lib/logger.ts";
import { integer, type ResponseDoc } from "../route-docs.ts";
import type { ConsoleContext } from "./context.ts";
import { ConsoleError, NO_STORE } from "./errors.ts";

export const RESTORE_NOTE = "Restoring is a command, not a console action: stop the server, then `latchkey restore <archive>` into an empty DATA_DIR (README \"Backups\").";

const backupSchema = t.Object(
  {
    name: t.String({ description: "latchkey-backup-<UTC time>.zip" }),
    bytes: integer(),
    created_at: integer({ description: "when it was made, from its name (epoch ms)" }),
  },
  { $id: "ConsoleBackup", additionalProperties: false },
);

const nullableTime = t.Union([integer({ description: "epoch ms" }), t.Null()]);

export const backupsAnswerSchema = t.Object(
  {
    destination: t.Nullable(t.String({ description: "BACKUP_URL's folder or bucket (no credentials)" })),
    unavailable: t.Nullable(t.String({ description: "why backups cannot be made here (PostgreSQL, no BACKUP_URL); null: they can" })),
    schedule: t.Nullable(t.String({ description: "BACKUP_SCHEDULE; null: no scheduled backups" })),
    keep: integer({ description: "BACKUP_KEEP: scheduled backups kept" }),
    last_success_at: nullableTime,
    last_failure_at: nullableTime,
    backups: t.Array(backupSchema, { description: "newest first" }),
    restore: t.String(),
  },
  { additionalProperties: false },
);

export const createdAnswerSchema = t.Object({ backup: backupSchema, duration_ms: integer() }, { additionalProperties: false });

export const backupParams = t.Object({ name: t.String({ minLength: 1, maxLength: 64, pattern: "^latchkey-backup-[0-9TZ]+\\.zip$" }) });

export const BACKUP_DOWNLOAD: ResponseDoc = {
  description: "The backup archive, streamed, as an attachment.",
  content: { "application/zip": { schema: { type: "string", format: "binary" } } },
};

const view = (backup: { name: string; bytes: number; createdAt: number }) => ({ name: backup.name, bytes: backup.bytes, created_at: backup.createdAt });

export async function listBackups(ctx: ConsoleContext): Promise<typeof backupsAnswerSchema.static> {
  const store = ctx.facts.backupStore;
  const status = ctx.facts.backups();
  return {
    destination: store.destination,
    unavailable: store.unavailable,
    schedule: status.schedule,
    keep: ctx.config.backup.keep,
    last_success_at: status.lastSuccessAt,
    last_failure_at: status.lastFailureAt,
    backups: (await store.list()).map(view),
    restore: RESTORE_NOTE,
  };
}

export async function createBackup(ctx: ConsoleContext, actor: Actor): Promise<typeof createdAnswerSchema.static> {
  const store = ctx.facts.backupStore;
  if (store.unavailable !== null) throw new ConsoleError(409, "backups_unavailable", store.unavailable);
  let made;
  try {
    made = await store.create();
  } catch (error) {
    // The cause goes to the log (without a presigned URL's query); the administrator is told where to look.
    const reason = error instanceof Error ? error.message : String(error);
    ctx.core.logger.error("console backup failed", { to: store.destination, error: redactText(reason.replace(/\?\S*/g, "?...")) });
    throw new ConsoleError(503, "backup_failed", "The backup failed; the server's log says why.");
  }
  await ctx.core.administration.audit.record(actor, "backup_created", `backup:${made.name}`, { bytes: made.bytes, to: store.destination });
  return { backup: view(made), duration_ms: made.durationMs };
}

export async function downloadBackup(ctx: ConsoleContext, actor: Actor, name: string): Promise<Response> {
  const opened = await ctx.facts.backupStore.open(name);
  if (!opened) throw new ConsoleError(404, "backup_not_found", "No backup of this name at BACKUP_URL.");
  await ctx.core.administration.audit.record(actor, "backup_downloaded", `backup:${name}`, { bytes: opened.bytes });
  return new Response(opened.stream, {
    headers: {
      ...NO_STORE,
      "content-type": "application/zip",
      "content-length": String(opened.bytes),
      "content-disposition": `attachment; filename="${name}"`,
    },
  });
}
