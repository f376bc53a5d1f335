// Group commit (SQLite): units of work submitted in the same turn of the event loop share one transaction.
//
// A refresh-token rotation is a few statements whose cost is mostly the commit (bench/README.md). Under load many
// rotations wait at the same moment; committing them together pays one commit for all of them, and each still
// applies all-or-nothing. A unit must not throw for an expected outcome (return it instead): a throw rolls back
// and fails the whole group.
import type { Database, Transaction } from "./database.ts";

interface Unit {
  work: (tx: Transaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Most units in one transaction; the rest wait for the next. Keeps a commit (and the gate on SQLite) short. */
const MAX_GROUP = 64;

export function groupCommit(db: Database): <T>(work: (tx: Transaction) => Promise<T>) => Promise<T> {
  // PostgreSQL: no group, each unit's statements run on their own (autocommit) on the pool. A group transaction
  // there cost a BEGIN and a COMMIT round trip and ran the group's statements one after another on one connection,
  // and Bun.SQL parsed a transaction's statements anew each time (two round trips each); PostgreSQL already shares
  // one WAL flush among commits that arrive together. A rotation, the only unit, is one conditional UPDATE (a second
  // only for a carried-over session), each all-or-nothing by itself. Refresh on PostgreSQL: 5 round trips -> 2
  // (bench/README.md, "PostgreSQL + S3").
  if (db.engine === "postgres") return (work) => work(db as unknown as Transaction);
  let queue: Unit[] = [];

  async function flush(): Promise<void> {
    const group = queue.splice(0, MAX_GROUP);
    if (queue.length > 0) setImmediate(flush);
    try {
      const results = await db.transaction(async (tx) => {
        const out: unknown[] = [];
        for (const unit of group) out.push(await unit.work(tx));
        return out;
      });
      group.forEach((unit, index) => unit.resolve(results[index]));
    } catch (error) {
      for (const unit of group) unit.reject(error);
    }
  }

  return <T>(work: (tx: Transaction) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      // setImmediate, not a microtask: requests already received in this turn get to join.
      if (queue.length === 1) setImmediate(flush);
    });
}
