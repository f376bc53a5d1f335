// The console's audit log (core/administration/audit-log.ts): appended to, read newest first a page at a time. There
// is no method that changes or deletes an entry, and the table's triggers refuse both (drizzle/*/00xx_console.sql).
import { and, eq } from "drizzle-orm";
import type { Database } from "../database.ts";
import type { AuditLogRow } from "../schema.ts";
import { before, newestFirst, pageOf, type NewestFirstCursor, type NewestFirstPage } from "./newest-first.ts";

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
      const rows = await db
        .select()
        .from(auditLog)
        .where(
          and(
            filter.adminId === undefined ? undefined : eq(auditLog.adminId, filter.adminId),
            filter.action === undefined ? undefined : eq(auditLog.action, filter.action),
            filter.target === undefined ? undefined : eq(auditLog.target, filter.target),
            before(auditLog.at, auditLog.id, cursor),
          ),
        )
        .orderBy(...newestFirst(auditLog.at, auditLog.id))
        .limit(limit + 1);
      return pageOf(rows, limit);
    },
  };
}
