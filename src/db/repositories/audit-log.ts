// The console's audit log (core/administration/audit-log.ts): appended to, read newest first a page at a time. There
// is no method that changes or deletes an entry, and the table's triggers refuse both (drizzle/*/00xx_console.sql).
import type { Database } from "../database.ts";
import type { AuditLogRow } from "../schema.ts";
import { pageNewestFirst, type NewestFirstCursor, type NewestFirstPage } from "./newest-first.ts";

export type StoredAuditEntry = AuditLogRow;

export interface AuditLogFilter {
  adminId?: string;
  action?: string;
  target?: string;
}

export interface AuditLogRepository {
  append(entry: StoredAuditEntry): Promise<void>;
  /** Entries matching every given filter, newest first, `limit` after the cursor. */
  page(filter: AuditLogFilter, cursor: NewestFirstCursor | null, limit: number): Promise<NewestFirstPage<StoredAuditEntry>>;
}

export function createAuditLogRepository(db: Database): AuditLogRepository {
  const { auditLog } = db.tables;
  return {
    async append(entry) {
      await db.insert(auditLog).values(entry);
    },

    async page(filter, cursor, limit) {
      const columns = { adminId: auditLog.adminId, action: auditLog.action, target: auditLog.target };
      return await pageNewestFirst(db, auditLog, columns, filter, cursor, limit);
    },
  };
}
