// The bench script's parsers and report, on recorded samples (bench/run.sh itself is not run by CI; no timings here).
import { describe, expect, test } from "bun:test";
import { parseDd, parseDurationMs, parseProcStatus, parseSize, parseWrk } from "../bench/lib/parse.ts";
import { BEGIN_MARKER, END_MARKER, median, pairedPercent, pairedRatio, pairedTimes, renderResults, renderTable, spliceResults, type Row } from "../bench/lib/report.ts";

// wrk 4.1.0 with --latency, against a route answering 404 (so the Non-2xx line is present).
const WRK_404 = `Running 2s test @ http://127.0.0.1:4111/nope
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   185.08us  460.47us   9.06ms   98.02%
    Req/Sec    50.90k     2.75k   57.15k    80.95%
  Latency Distribution
     50%  133.00us
     75%  161.00us
     90%  198.00us
     99%    1.82ms
  106216 requests in 2.10s, 13.27MB read
  Non-2xx or 3xx responses: 106216
Requests/sec:  50580.11
Transfer/sec:      6.32MB
`;

// A slow run with socket errors and latencies in seconds (logins under overload).
const WRK_SLOW = `Running 10s test @ http://127.0.0.1:45489/auth/login
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   187.61ms   60.12ms   1.02s    81.25%
    Req/Sec    44.50     12.66    70.00     61.00%
  Latency Distribution
     50%  180.30ms
     75%  210.00ms
     90%  260.12ms
     99%    1.01s
  427 requests in 10.01s, 450.21KB read
  Socket errors: connect 0, read 2, write 0, timeout 3
Requests/sec:     42.66
Transfer/sec:     44.98KB
`;

describe("bench output parsers", () => {
  test("wrk's report: throughput, p50/p99, non-2xx", () => {
    expect(parseWrk(WRK_404)).toEqual({
      requests: 106216,
      seconds: 2.1,
      rps: 50580.11,
      p50Ms: 0.133,
      p99Ms: 1.82,
      non2xx: 106216,
      socketErrors: 0,
      bytesPerSecond: 6.32 * 1024 * 1024,
    });
  });

  test("wrk's report: seconds, socket errors, KB", () => {
    const result = parseWrk(WRK_SLOW);
    expect(result.rps).toBe(42.66);
    expect(result.p50Ms).toBeCloseTo(180.3, 6);
    expect(result.p99Ms).toBe(1010);
    expect(result.non2xx).toBe(0);
    expect(result.socketErrors).toBe(5);
    expect(result.bytesPerSecond).toBeCloseTo(44.98 * 1024, 6);
  });

  test("a report without --latency is refused, not read as zeros", () => {
    const withoutLatency = WRK_404.replace(/  Latency Distribution[\s\S]*?99%.*\n/, "");
    expect(() => parseWrk(withoutLatency)).toThrow("not a wrk --latency report");
  });

  test("units", () => {
    expect(parseDurationMs("635.91us")).toBeCloseTo(0.63591, 9);
    expect(parseDurationMs("2.00s")).toBe(2000);
    expect(parseDurationMs("1.50m")).toBe(90_000);
    expect(() => parseDurationMs("12")).toThrow();
    expect(parseSize("87B")).toBe(87);
    expect(parseSize("1.50GB")).toBe(1.5 * 1024 ** 3);
  });

  test("/proc/<pid>/status memory", () => {
    const status = "Name:\tlatchkey\nVmPeak:\t 9000000 kB\nVmHWM:\t  145312 kB\nVmRSS:\t   70212 kB\nRssAnon:\t   40000 kB\n";
    expect(parseProcStatus(status)).toEqual({ rss: 70212 * 1024, hwm: 145312 * 1024 });
    expect(() => parseProcStatus("Name:\tx\n")).toThrow("VmRSS");
  });

  test("dd's closing line", () => {
    const stderr = "1024+0 records in\n1024+0 records out\n1073741824 bytes (1.1 GB, 1.0 GiB) copied, 3.70123 s, 290 MB/s\n";
    expect(parseDd(stderr)).toEqual({ bytes: 1073741824, seconds: 3.70123 });
  });
});

describe("bench report", () => {
  test("a comparison is the median of its rounds' ratios, not the ratio of each side's best run", () => {
    // Round 2 ran on a slow minute for both sides; each side's best came in a different round (as dd and the upload
    // once did), and best against best would say 50%.
    const ratio = pairedRatio([500, 300, 510], [600, 1000, 640]);
    expect(ratio.rounds.map((value) => Number(value.toFixed(3)))).toEqual([0.833, 0.3, 0.797]);
    expect(ratio.median).toBeCloseTo(0.797, 3);
    expect(pairedPercent(ratio)).toBe("80% (rounds: 83%, 30%, 80%)");
    expect(pairedTimes(pairedRatio([26_000, 28_000], [2_700, 2_600]))).toBe("10.2x (rounds: 9.63x, 10.8x)");
    expect(median([3, 1, 2, 10])).toBe(2.5);
    expect(() => pairedRatio([1, 2], [1])).toThrow("2 rounds against 1");
    expect(() => pairedRatio([], [])).toThrow();
  });

  const rows: Row[] = [
    { scenario: "`GET /healthz`", figure: "54.1k req/s", reference: "bare: 60.0k req/s", ratio: "90%", floor: "layers: 95%", goal: ">= 80%", met: true },
    { scenario: "a | b", figure: "1", reference: "-", ratio: "1", goal: "<= 0", met: false },
  ];

  test("the table marks each goal, shows its floor and escapes pipes", () => {
    const table = renderTable(rows);
    expect(table).toContain("| `GET /healthz` | 54.1k req/s | bare: 60.0k req/s | 90% | layers: 95% | >= 80% | met |");
    expect(table).toContain("| a \\| b | 1 | - | 1 | - | <= 0 | **missed** |");
  });

  test("the results replace the marked part of the README and keep the rest", () => {
    const results = renderResults({ command: "bash bench/run.sh", date: "2026-01-01 00:00 UTC", machine: ["m"], settings: ["s"] }, rows);
    expect(results).toContain("1 of 2 goals met");
    const readme = `# Benchmarks\n\nintro\n\n${BEGIN_MARKER}\nold\n${END_MARKER}\n\nafter\n`;
    const spliced = spliceResults(readme, results);
    expect(spliced).toStartWith("# Benchmarks\n\nintro\n\n");
    expect(spliced).toEndWith("\n\nafter\n");
    expect(spliced).not.toContain("\nold\n");
    expect(spliceResults("# B\n", results)).toBe(`# B\n\n${results}\n`);
  });
});
