// The console's audit log: every console action (sign-ins, failed ones too, sign-outs, and every change an
// administrator makes) as one entry: who (their account id and address), what (an action, its target, a small JSON
// of details), when, and from which address. Details never hold a secret: no password, token, code or ticket is ever
// passed in. The log is append-only: nothing here, in the console or elsewhere deletes or changes an entry.
import type { AuditLogRepository, StoredAuditEntry } from "../../db/repositories/audit-log.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Random } from "../../lib/random.ts";
import { decodeCursor, encodeCursor, isTimePosition } from "./cursors.ts";

/** Who acts: the signed-in administrator (or, for a failed sign-in, who it tried to be), and from where. */
export interface Actor {
  adminId: string | null;
  /** Their address (or login); for a failed sign-in, what was typed. */
  adminEmail: string | null;
  ip: string | null;
}

export type AuditAction =
  | "sign_in"
  | "sign_in_failed"
  | "sign_out"
  | "user_created"
  | "user_disabled"
  | "user_enabled"
  | "user_deleted"
  | "session_revoked"
  | "sessions_revoked"
  | "second_factor_removed"
  | "passkey_removed"
  | "password_reset_sent"
  | "activation_sent"
  | "roles_set"
  | "mail_retried"
  | "test_mail_sent"
  | "file_deleted"
  | "file_token_revoked"
  | "backup_created"
  | "backup_downloaded"
  | "identity_unlinked";

export type AuditEntry = StoredAuditEntry;

export interface AuditFilter {
  adminId?: string;
  action?: string;
  target?: string;
}

export interface AuditLog {
  record(actor: Actor, action: AuditAction, target: string | null, details?: Record<string, unknown>): Promise<void>;
  /** Entries matching the filter, newest first; `cursor` is the `next` of the page before. `invalid_cursor`. */
  page(filter: AuditFilter, cursor: string | null, limit: number): Promise<{ entries: AuditEntry[]; next: string | null }>;
}

/** What an address typed at a failed sign-in may take in an entry (an address is at most 254 characters). */
const MAX_TEXT = 320;

export function createAuditLog(deps: { entries: AuditLogRepository; clock: Clock; random: Random }): AuditLog {
  const { entries, clock, random } = deps;
  return {
    async record(actor, action, target, details = {}) {
      await entries.append({
        id: random.uuid(),
        at: clock.now(),
        adminId: actor.adminId,
        adminEmail: actor.adminEmail?.slice(0, MAX_TEXT) ?? null,
        action,
        target,
        details,
        ip: actor.ip,
      });
    },

    async page(filter, cursor, limit) {
      const position = cursor === null ? null : decodeCursor(cursor, isTimePosition);
      const { rows, next } = await entries.page(filter, position, limit);
      return { entries: rows, next: next === null ? null : encodeCursor(next) };
    },
  };
}
