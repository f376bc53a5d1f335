// Turns the figures of one bench run into bench/README.md's table. Pure (no I/O), so it can be tested.

export interface Row {
  scenario: string;
  /** latchkey's figure, as shown (with its latency and memory where measured). */
  figure: string;
  /** The reference and its figure, as shown; "-" when the goal is absolute. */
  reference: string;
  /** latchkey relative to the reference (e.g. "87%" or "1.12x"), or the absolute value compared with the goal. */
  ratio: string;
  /**
   * The floor measured in the same run: where the reference would put a route that did none of latchkey's work
   * (e.g. the same route shape on Elysia with latchkey's layers, or a bare Bun server sending the same file), so a
   * missed goal shows whether it is within reach. "-" (or absent) where no floor is measured.
   */
  floor?: string;
  goal: string;
  met: boolean;
}

export interface RunFacts {
  command: string;
  date: string;
  machine: string[];
  settings: string[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * latchkey against its reference round by round: each round's ratio comes from two runs made back to back, so a
 * slow minute of the machine falls on both of its sides; the median of the rounds' ratios decides the goal.
 */
export interface PairedRatio {
  median: number;
  rounds: number[];
}

/** Round i's ratio is latchkey[i] / reference[i] (figures where more is better: requests or bytes per second). */
export function pairedRatio(latchkey: number[], reference: number[]): PairedRatio {
  if (latchkey.length === 0 || latchkey.length !== reference.length) {
    throw new Error(`paired ratio: ${latchkey.length} rounds against ${reference.length}`);
  }
  const rounds = latchkey.map((value, index) => value / reference[index]!);
  return { median: median(rounds), rounds };
}

/** "86% (rounds: 84%, 91%, 86%)": the median, then each round's ratio in the order they ran. */
export function pairedPercent(ratio: PairedRatio): string {
  return `${percent(ratio.median)} (rounds: ${ratio.rounds.map(percent).join(", ")})`;
}

export function pairedTimes(ratio: PairedRatio): string {
  return `${times(ratio.median)} (rounds: ${ratio.rounds.map(times).join(", ")})`;
}

export function percent(value: number): string {
  return `${(value * 100).toFixed(0)}%`;
}

export function times(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)}x`;
}

/** Requests per second, short: 812, 9.4k, 61.2k. */
export function rate(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(1)}k` : value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

export function ms(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : value >= 10 ? `${value.toFixed(1)} ms` : `${value.toFixed(2)} ms`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

export function mbPerSecond(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(0)} MB/s`;
}

export function renderTable(rows: Row[]): string {
  const escape = (text: string) => text.replaceAll("|", "\\|");
  const lines = [
    "| scenario | latchkey | reference (same run) | latchkey vs reference | floor (same run) | goal | |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((row) =>
      `| ${[row.scenario, row.figure, row.reference, row.ratio, row.floor ?? "-", row.goal, row.met ? "met" : "**missed**"].map(escape).join(" | ")} |`,
    ),
  ];
  return lines.join("\n");
}

/** The generated part of bench/README.md, between the markers (the text around them is kept as written). */
export const BEGIN_MARKER = "<!-- bench:results:begin (written by bench/run.ts) -->";
export const END_MARKER = "<!-- bench:results:end -->";

/** The markers of a generated part: bench/run.ts's table, or bench/scale.ts's. */
export interface Markers {
  begin: string;
  end: string;
}

export const SCALE_MARKERS: Markers = { begin: "<!-- bench:scale:begin (written by bench/scale.ts) -->", end: "<!-- bench:scale:end -->" };

export function renderResults(facts: RunFacts, rows: Row[], markers: Markers = { begin: BEGIN_MARKER, end: END_MARKER }): string {
  const met = rows.filter((row) => row.met).length;
  return [
    markers.begin,
    `Latest run: \`${facts.command}\`, ${facts.date}. ${met} of ${rows.length} goals met.`,
    "",
    renderTable(rows),
    "",
    "Machine and versions:",
    "",
    ...facts.machine.map((line) => `- ${line}`),
    "",
    "Settings of this run:",
    "",
    ...facts.settings.map((line) => `- ${line}`),
    markers.end,
  ].join("\n");
}

/** Replaces the generated part of a README (or appends it when the markers are missing). */
export function spliceResults(readme: string, results: string, markers: Markers = { begin: BEGIN_MARKER, end: END_MARKER }): string {
  const begin = readme.indexOf(markers.begin);
  const end = readme.indexOf(markers.end);
  if (begin < 0 || end < begin) return `${readme.trimEnd()}\n\n${results}\n`;
  return readme.slice(0, begin) + results + readme.slice(end + markers.end.length);
}
