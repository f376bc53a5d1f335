// Results of pure computations remembered by a string key, for work a hot route repeats on the same few inputs (a
// repeat image transform's query and its variant's name). Bounded two ways: a key longer than `maxKeyLength` is
// computed and not kept, and past `size` entries the memo starts over (no order to keep per use; a working set larger
// than the bound computes as it would without a memo). A computation that throws is not remembered: it throws again.

/** `remembered(key, compute)`: what `compute(key)` gave for this key before, else its result now (kept). */
export function boundedMemo<T>(options: { size: number; maxKeyLength: number }): (key: string, compute: (key: string) => T) => T {
  const known = new Map<string, T>();
  return (key, compute) => {
    const found = known.get(key);
    if (found !== undefined || known.has(key)) return found as T;
    const value = compute(key);
    if (key.length <= options.maxKeyLength) {
      if (known.size >= options.size) known.clear();
      known.set(key, value);
    }
    return value;
  };
}
