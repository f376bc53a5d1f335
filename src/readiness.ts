// GET /readyz: whether this instance can serve, for load balancers and orchestrators. /healthz stays HBP's constant
// `OK` (the process is up); /readyz is 200 only when the database answers a query and the file store can be listed,
// else 503 naming which check failed, so traffic moves to another instance instead of getting 500s here.
// The answer names the failing check, not its cause: the route is public, and a cause carries hosts, bucket names
// and paths. The cause goes to the log, once per change of state, so a probe every few seconds does not flood it.
import { Elysia, t } from "elysia";
import { json } from "./apis/route-docs.ts";
import type { Logger } from "./lib/logger.ts";
import type { Database } from "./db/client.ts";

/** A check that takes longer counts as failed: a hung database must not hang the probe too. */
const CHECK_TIMEOUT_MS = 3_000;

type CheckName = "database" | "storage";
type CheckResult = "ok" | "failed";

const readyBody = t.Object(
  {
    status: t.Union([t.Literal("ok"), t.Literal("unavailable")]),
    checks: t.Object({ database: t.Union([t.Literal("ok"), t.Literal("failed")]), storage: t.Union([t.Literal("ok"), t.Literal("failed")]) }),
  },
  { $id: "Readiness" },
);

export function readinessRoutes(deps: { db: Database; files: { check(): Promise<void> }; logger: Logger }) {
  const { db, files, logger } = deps;
  const { users } = db.tables;
  const checks: Record<CheckName, () => Promise<unknown>> = {
    // A real statement on a real table: the connection works and the schema is there.
    database: () => db.select({ id: users.id }).from(users).limit(1),
    storage: () => files.check(),
  };
  const lastCause: Record<CheckName, string | null> = { database: null, storage: null };

  async function run(name: CheckName): Promise<CheckResult> {
    let timer: Timer | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
    });
    try {
      await Promise.race([checks[name](), timeout]);
      if (lastCause[name] !== null) logger.info(`readiness: ${name} answers again`);
      lastCause[name] = null;
      return "ok";
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error);
      if (lastCause[name] !== cause) logger.warn(`readiness: ${name} check failed`, { error: cause });
      lastCause[name] = cause;
      return "failed";
    } finally {
      clearTimeout(timer);
    }
  }

  return new Elysia({ name: "readiness" }).get(
    "/readyz",
    async ({ set }) => {
      const [database, storage] = await Promise.all([run("database"), run("storage")]);
      const ready = database === "ok" && storage === "ok";
      set.status = ready ? 200 : 503;
      set.headers["cache-control"] = "no-store";
      return { status: ready ? ("ok" as const) : ("unavailable" as const), checks: { database, storage } };
    },
    {
      detail: {
        tags: ["Service"],
        summary: "Readiness: 200 when the database answers and the file store can be listed; 503 naming the check that failed",
        responses: {
          200: json(readyBody, "Ready: both checks passed."),
          503: json(readyBody, "Not ready: the failed check is named (its cause goes to the log)."),
        },
      },
    },
  );
}
