// Reading settings from an environment: typed parsers that collect every problem, so start-up reports them all at
// once, each naming its variable. src/config.ts says which settings exist.
import { isIP } from "node:net";
import type { Env } from "./config.ts";

/** Reads settings from an environment, collecting every problem before failing. */
export class Reader {
  readonly problems: string[] = [];
  /** `asked`: collects every name asked for, set or not (`latchkey config check` knows latchkey's names by it). */
  constructor(
    private readonly env: Env,
    private readonly asked?: Set<string>,
  ) {}

  /** The first of the names that is set to a non-empty value (later names are aliases). */
  raw(names: string[]): { name: string; value: string } | null {
    for (const name of names) this.asked?.add(name);
    for (const name of names) {
      const value = this.env[name];
      if (value !== undefined && value.trim() !== "") return { name, value: value.trim() };
    }
    return null;
  }

  string(names: string | string[], fallback: string): string {
    return this.raw(toList(names))?.value ?? fallback;
  }

  optionalString(names: string | string[]): string | null {
    return this.raw(toList(names))?.value ?? null;
  }

  // HBP counts only 'true' as true; latchkey also refuses values that are neither, so a typo cannot silently turn a feature off.
  bool(names: string | string[], fallback: boolean): boolean {
    const found = this.raw(toList(names));
    if (!found) return fallback;
    const value = found.value.toLowerCase();
    if (value === "true" || value === "1") return true;
    if (value === "false" || value === "0") return false;
    this.problems.push(`${found.name}: expected true or false, got "${found.value}"`);
    return fallback;
  }

  number(names: string | string[], fallback: number, bounds: { min: number; max: number; integer?: boolean }): number {
    const found = this.raw(toList(names));
    if (!found) return fallback;
    const value = Number(found.value);
    const integerOk = !bounds.integer || Number.isInteger(value);
    if (!Number.isFinite(value) || !integerOk || value < bounds.min || value > bounds.max) {
      const kind = bounds.integer ? "a whole number" : "a number";
      this.problems.push(`${found.name}: expected ${kind} from ${bounds.min} to ${bounds.max}, got "${found.value}"`);
      return fallback;
    }
    return value;
  }

  list(names: string | string[], fallback: string[]): string[] {
    const found = this.raw(toList(names));
    if (!found) return fallback;
    return found.value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }

  oneOf<T extends string>(names: string | string[], allowed: readonly T[], fallback: T, options?: { caseInsensitive?: boolean }): T {
    const found = this.raw(toList(names));
    if (!found) return fallback;
    const match = allowed.find((item) =>
      options?.caseInsensitive ? item.toLowerCase() === found.value.toLowerCase() : item === found.value,
    );
    if (!match) this.problems.push(`${found.name}: expected one of ${allowed.join(", ")}, got "${found.value}"`);
    return match ?? fallback;
  }

  /** A mount point: `/` followed by path segments, no trailing slash. */
  prefix(names: string | string[], fallback: string): string {
    const found = this.raw(toList(names));
    if (!found) return fallback;
    const value = found.value.replace(/\/+$/, "");
    if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(value)) {
      this.problems.push(`${found.name}: expected a path such as /api/auth, got "${found.value}"`);
      return fallback;
    }
    return value;
  }

    url(names: string | string[]): string | null {
    const found = this.raw(toList(names));
    if (!found) return null;
    if (!URL.canParse(found.value) || !/^https?:$/.test(new URL(found.value).protocol)) {
      this.problems.push(`${found.name}: expected an http(s) URL, got "${found.value}"`);
      return null;
    }
    return found.value;
  }

  /** A size in bytes: `104857600`, `100MB`, `100 MiB`, `1.5G` (K, M, G count 1024s, with or without iB/B). */
  bytes(names: string | string[], fallback: number, bounds: { min: number; max: number }): number {
    const found = this.raw(toList(names));
    if (!found) return fallback;
    const match = /^(\d+(?:\.\d+)?)\s*(?:([KMG])(?:i?B)?|B)?$/i.exec(found.value);
    const value = match ? Math.floor(Number(match[1]) * 1024 ** " KMG".indexOf((match[2] ?? " ").toUpperCase())) : NaN;
    if (!Number.isFinite(value) || value < bounds.min || value > bounds.max) {
      this.problems.push(`${found.name}: expected a size from ${bounds.min} to ${bounds.max} bytes (e.g. 100MB), got "${found.value}"`);
      return fallback;
    }
    return value;
  }

  /** An interval in seconds: `90s`, `15m`, `6h`, `1d`; null when unset. */
  interval(names: string | string[], bounds: { minSeconds: number; maxSeconds: number }): number | null {
    const found = this.raw(toList(names));
    if (!found) return null;
    const match = /^(\d+)\s*([smhd])$/i.exec(found.value);
    const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[match[2]!.toLowerCase() as "s" | "m" | "h" | "d"] : NaN;
    if (!Number.isFinite(seconds) || seconds < bounds.minSeconds || seconds > bounds.maxSeconds) {
      this.problems.push(`${found.name}: expected an interval such as 30m, 6h or 1d, from ${bounds.minSeconds} s to ${bounds.maxSeconds / 86400} days, got "${found.value}"`);
      return null;
    }
    return seconds;
  }

  require(condition: boolean, problem: string): void {
    if (!condition) this.problems.push(problem);
  }
}

export function isAddressOrRange(value: string): boolean {
  const [address, prefix, ...rest] = value.split("/");
  const version = isIP(address ?? "");
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return Number.isInteger(bits) && bits >= 0 && bits <= (version === 4 ? 32 : 128);
}

function toList(names: string | string[]): string[] {
  return typeof names === "string" ? [names] : names;
}
