// What every console handler receives: core, the settings it reads, who sent a request, and the facts about the
// running server that only the composition knows (its version, its backups, its settings as `latchkey config check`
// shows them), handed in as functions by src/server.ts.
import type { Config } from "../../config.ts";
import type { Actor } from "../../core/administration/audit-log.ts";
import type { ConsoleCaller } from "../../core/administration/console-sessions.ts";
import type { Core } from "../../core/index.ts";
import type { SessionContext } from "../../core/sessions/sessions.ts";
import type { HttpClient } from "../../http/client-ip.ts";
import type { FileAdministration } from "../../storage/file-administration.ts";

export interface ServerFacts {
  version: string;
  /** When this process's scheduled backups last succeeded and failed (ms since the epoch), and the schedule (BACKUP_SCHEDULE). */
  backups(): { lastSuccessAt: number | null; lastFailureAt: number | null; schedule: string | null };
  /** Every setting in effect, secrets masked: `latchkey config check`'s rows. */
  settings(): readonly (readonly [string, string])[];
  /** What `latchkey config check` and the start-up warn about. */
  warnings(): readonly string[];
}

export interface ConsoleContext {
  core: Core;
  config: Pick<Config, "console" | "cookies">;
  clientOf: HttpClient;
  facts: ServerFacts;
  /** Storage's side of the Files page (storage is its own layer: server.ts hands it in, as to HBP's storage routes). */
  files: FileAdministration;
}

export interface ConsoleExchange {
  client: SessionContext;
  /** Adds a Set-Cookie header to the answer. */
  setCookie(cookie: string): void;
}

/** The signed-in administrator as the audit log names them. */
export function actorOf(caller: ConsoleCaller, client: SessionContext): Actor {
  return { adminId: caller.admin.id, adminEmail: caller.admin.email ?? caller.admin.username, ip: client.ip ?? null };
}
