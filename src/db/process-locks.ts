// Named locks within one process: callers of one name run one after another, in arrival order.

export function processLocks(): <T>(name: string, action: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<void>>();
  return async function withLock<T>(name: string, action: () => Promise<T>): Promise<T> {
    const previous = tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    tails.set(name, tail);
    await previous;
    try {
      return await action();
    } finally {
      release();
      if (tails.get(name) === tail) tails.delete(name);
    }
  };
}
