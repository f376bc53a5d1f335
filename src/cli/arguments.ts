// The command line's words: the global `--data-dir <dir>`, and each command's flags (`--json`, `--role r`), in any
// order among its positional arguments. No library: the grammar is this small, and the binary carries every byte.

export interface GlobalOptions {
  /** --data-dir <dir> (or --data-dir=<dir>): wins over DATA_DIR. */
  dataDir: string | null;
  /** The words left: the command and its own arguments. */
  rest: string[];
}

export class UsageError extends Error {}

/** Takes the global options out of the arguments, wherever they stand. */
export function takeGlobalOptions(args: readonly string[]): GlobalOptions {
  let dataDir: string | null = null;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === "--data-dir") {
      const value = args[++i];
      if (value === undefined || value === "" || value.startsWith("--")) throw new UsageError("--data-dir needs a folder: --data-dir <dir>");
      dataDir = value;
    } else if (word.startsWith("--data-dir=")) {
      dataDir = word.slice("--data-dir=".length);
      if (dataDir === "") throw new UsageError("--data-dir needs a folder: --data-dir <dir>");
    } else {
      rest.push(word);
    }
  }
  return { dataDir, rest };
}

export interface ParsedArguments {
  positional: string[];
  /** Flags given without a value (`--json`). */
  flags: Set<string>;
  /** Every value of each option that takes one (`--role a --role b`), in order. */
  values: Map<string, string[]>;
}

/** Splits a command's arguments by what it accepts; anything else is a UsageError naming it. */
export function parseArguments(args: readonly string[], accepts: { flags?: string[]; values?: string[] }): ParsedArguments {
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (!word.startsWith("--")) {
      positional.push(word);
      continue;
    }
    const [name, inline] = word.includes("=") ? [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)] : [word, undefined];
    if (accepts.flags?.includes(name) && inline === undefined) {
      flags.add(name);
    } else if (accepts.values?.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined || value === "") throw new UsageError(`${name} needs a value`);
      values.set(name, [...(values.get(name) ?? []), value]);
    } else {
      throw new UsageError(`unknown option ${word}`);
    }
  }
  return { positional, flags, values };
}
