// Variables that look like latchkey's settings but are not one: a typo (SMTP_HOTS) is otherwise read by nobody, and
// the setting it meant keeps its default without a word. `latchkey config check` names them and the setting meant.

/** Prefixes shared by several settings that other software uses too, so a variable with them is no typo of ours. */
const FOREIGN_PREFIXES = new Set(["AWS"]);
/** A prefix none of latchkey's settings has, but which says a variable is meant for latchkey. */
const OWN_PREFIX = "LATCHKEY_";

export interface Lookalike {
  variable: string;
  /** The setting it most likely meant, or null when only its prefix is latchkey's. */
  meant: string | null;
}

/** The variables of `env` that are not in `known` but look like one of them (edit distance) or share a prefix. */
export function lookalikeSettings(variables: readonly string[], known: readonly string[]): Lookalike[] {
  const knownSet = new Set(known);
  const prefixes = sharedPrefixes(known);
  const found: Lookalike[] = [];
  for (const variable of [...variables].sort()) {
    if (knownSet.has(variable) || !/^[A-Z][A-Z0-9_]*$/.test(variable)) continue;
    const meant = closest(variable, known) ?? (variable.startsWith(OWN_PREFIX) ? closest(variable.slice(OWN_PREFIX.length), known, 0) : null);
    const prefix = variable.split("_")[0]!;
    if (meant !== null || (variable.includes("_") && prefixes.has(prefix)) || variable.startsWith(OWN_PREFIX)) found.push({ variable, meant });
  }
  return found;
}

/** The known name within the edit distance a typo makes (1 for short names, where 2 reaches real words: PATH, PORT), or null. */
function closest(name: string, known: readonly string[], allowed?: number): string | null {
  let best: { name: string; distance: number } | null = null;
  for (const candidate of known) {
    const limit = allowed ?? (Math.min(candidate.length, name.length) <= 6 ? 1 : 2);
    const distance = editDistance(name, candidate);
    if (distance <= limit && (best === null || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name ?? null;
}

/** First words (before "_") that at least two settings share: SMTP, JWT, RATE, STORAGE ... */
function sharedPrefixes(known: readonly string[]): Set<string> {
  const counts = new Map<string, number>();
  for (const name of known) {
    // HBP's `*_ENABLE` aliases are one setting with its `*_ENABLED` name, not a second one with that prefix.
    if (!name.includes("_") || (name.endsWith("_ENABLE") && known.includes(`${name}D`))) continue;
    const prefix = name.split("_")[0]!;
    counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  }
  return new Set([...counts].filter(([prefix, count]) => count >= 2 && !FOREIGN_PREFIXES.has(prefix)).map(([prefix]) => prefix));
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1 each. */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  }
  return rows[a.length]![b.length]!;
}
