// Group commit: units of work submitted in the same turn of the event loop share one transaction.
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
