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
  /** The backups themselves: list, make one now, download. */
  backupStore: ConsoleBackups;
  /** Every setting in effect, secrets masked: `latchkey config check`'s rows. */
  settings(): readonly (readonly [string, string])[];
  /** What `latchkey config check` and the start-up warn about. */
  warnings(): readonly string[];
}

/** The backups at BACKUP_URL, for the Backups page (src/backup-administration.ts; restoring stays a command). */
export interface ConsoleBackups {
  /** Where backups go (never a credential); null: none can be made here. */
  destination: string | null;
  /** Why the console cannot make backups (PostgreSQL, no BACKUP_URL); null: it can. */
  unavailable: string | null;
  /** Newest first. */
  list(): Promise<{ name: string; bytes: number; createdAt: number }[]>;
  /** A backup now, by the code the schedule and `latchkey backup` run; throws when it fails. */
  create(): Promise<{ name: string; bytes: number; createdAt: number; durationMs: number }>;
  /** A backup's bytes, streamed; null when there is no backup of this name. */
  open(name: string): Promise<{ bytes: number; stream: ReadableStream<Uint8Array> } | null>;
}

export interface ConsoleContext {
  core: Core;
  config: Pick<Config, "console" | "cookies" | "backup" | "webauthn">;
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
