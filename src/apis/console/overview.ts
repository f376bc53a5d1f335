// GET /overview and GET /settings: the figures of the console's first page, and the settings in effect (secrets
// masked) with the warnings `latchkey config check` prints.
import { t } from "elysia";
import { integer } from "../route-docs.ts";
import type { ConsoleContext } from "./context.ts";

const nullableMillis = (description: string) => t.Union([integer({ description: `${description} (epoch ms)` }), t.Null()]);

export const overviewSchema = t.Object(
  {
    accounts: t.Object({ total: integer(), new_this_week: integer({ description: "created in the last 7 days" }) }, { additionalProperties: false }),
    sign_ins_per_day: t.Array(
      t.Object(
        {
          day: integer({ description: "the day's first millisecond, UTC" }),
          sign_ins: integer({ description: "sessions started (HBP, WolfPal)" }),
          failures: integer({ description: "sign_in_failed security events" }),
        },
        { additionalProperties: false },
      ),
      { description: "the last 14 days, oldest first" },
    ),
    active_sessions: integer(),
    storage: t.Object({ files: integer(), bytes: integer() }, { additionalProperties: false }),
    mail: t.Object(
      { pending: integer({ description: "waiting to be sent or retried" }), failed: integer({ description: "given up after the last attempt" }) },
      { additionalProperties: false },
    ),
    last_backup: t.Object(
      {
        succeeded_at: nullableMillis("this process's last scheduled backup that succeeded"),
        failed_at: nullableMillis("its last that failed"),
        schedule: t.Nullable(t.String({ description: "BACKUP_SCHEDULE" })),
      },
      { additionalProperties: false },
    ),
    version: t.String(),
    warnings: t.Array(t.String(), { description: "what `latchkey config check` warns about" }),
  },
  { $id: "ConsoleOverview", additionalProperties: false },
);

export const settingsSchema = t.Object(
  {
    settings: t.Array(t.Object({ name: t.String(), value: t.String() }, { additionalProperties: false }), {
      description: "every setting in effect as `latchkey config check` prints it: secrets masked",
    }),
    warnings: t.Array(t.String()),
  },
  { $id: "ConsoleSettings", additionalProperties: false },
);

export async function overview(ctx: ConsoleContext): Promise<typeof overviewSchema.static> {
  const figures = await ctx.core.administration.overview.read();
  const backups = ctx.facts.backups();
  return {
    accounts: { total: figures.accounts.total, new_this_week: figures.accounts.newThisWeek },
    sign_ins_per_day: figures.signInsPerDay.map((day) => ({ day: day.day, sign_ins: day.signIns, failures: day.failures })),
    active_sessions: figures.activeSessions,
    storage: figures.storage,
    mail: figures.mail,
    last_backup: { succeeded_at: backups.lastSuccessAt, failed_at: backups.lastFailureAt, schedule: backups.schedule },
    version: ctx.facts.version,
    warnings: [...ctx.facts.warnings()],
  };
}

export function settings(ctx: ConsoleContext): typeof settingsSchema.static {
  return { settings: ctx.facts.settings().map(([name, value]) => ({ name, value })), warnings: [...ctx.facts.warnings()] };
}
