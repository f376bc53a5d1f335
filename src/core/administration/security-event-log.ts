// The security events kept for the console (core/security-events.ts writes them), newest first, filtered by account
// and client address.
import type { SecurityEventFilter, SecurityEventsRepository, StoredSecurityEvent } from "../../db/repositories/security-events.ts";
import { decodeCursor, encodeCursor, isTimePosition } from "./cursors.ts";

export type { SecurityEventFilter, StoredSecurityEvent } from "../../db/repositories/security-events.ts";

export interface SecurityEventLog {
  /** `invalid_cursor` for an `after` this list did not hand out. */
  page(filter: SecurityEventFilter, cursor: string | null, limit: number): Promise<{ events: StoredSecurityEvent[]; next: string | null }>;
}

export function createSecurityEventLog(deps: { events: Pick<SecurityEventsRepository, "page"> }): SecurityEventLog {
  return {
    async page(filter, cursor, limit) {
      const position = cursor === null ? null : decodeCursor(cursor, isTimePosition);
      const { rows, next } = await deps.events.page(filter, position, limit);
      return { events: rows, next: next === null ? null : encodeCursor(next) };
    },
  };
}
