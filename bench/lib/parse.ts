// Parsers for what bench/run.ts reads: wrk's report (with --latency) and /proc/<pid>/status. No dependencies, so
// test/bench-parse.test.ts can check them on recorded samples (timings themselves are never tested).

export interface WrkResult {
  /** Requests completed in the run (wrk's "N requests in Xs"). */
  requests: number;
  seconds: number;
  /** requests / seconds, as wrk prints "Requests/sec". */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that were not 2xx or 3xx. */
  non2xx: number;
  /** Socket errors of every kind (connect, read, write, timeout). */
  socketErrors: number;
  /** Bytes read per second, as wrk's "Transfer/sec". */
  bytesPerSecond: number;
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** "635.91us", "1.02ms", "2.00s", "1.50m" to milliseconds. */
export function parseDurationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`not a wrk duration: ${JSON.stringify(text)}`);
  return Number(match[1]) * TIME_UNITS[match[2]!]!;
}

/** "1.21GB", "512.00KB", "87B" to bytes (wrk counts in 1024s). */
export function parseSize(text: string): number {
  const match = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text.trim());
  if (!match) throw new Error(`not a wrk size: ${JSON.stringify(text)}`);
  return Number(match[1]) * SIZE_UNITS[match[2]!]!;
}

/** wrk's report, run with --latency (for the 50% and 99% lines). Throws if a figure is missing. */
export function parseWrk(output: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+\w+), ([\d.]+\w+) read/.exec(output);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s*50%\s+([\d.]+\w+)\s*$/m.exec(output);
  const p99 = /^\s*99%\s+([\d.]+\w+)\s*$/m.exec(output);
  const transfer = /Transfer\/sec:\s+([\d.]+\w+)/.exec(output);
  if (!total || !rps || !p50 || !p99 || !transfer) {
    throw new Error(`not a wrk --latency report:\n${output.slice(0, 2000)}`);
  }
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requests: Number(total[1]),
    seconds: parseDurationMs(total[2]!) / 1000,
    rps: Number(rps[1]),
    p50Ms: parseDurationMs(p50[1]!),
    p99Ms: parseDurationMs(p99[1]!),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket ? socket.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0,
    bytesPerSecond: parseSize(transfer[1]!),
  };
}

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size (since start, or since the last `echo 5 > /proc/<pid>/clear_refs`), bytes. */
  hwm: number;
}

/** VmRSS and VmHWM of a /proc/<pid>/status text. */
export function parseProcStatus(status: string): ProcMemory {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status);
    if (!match) throw new Error(`no ${name} in /proc status`);
    return Number(match[1]) * 1024;
  };
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

/** `dd`'s closing line ("1073741824 bytes (1.1 GB, 1.0 GiB) copied, 2.3 s, 467 MB/s") as bytes and seconds. */
export function parseDd(stderr: string): { bytes: number; seconds: number } {
  const match = /(\d+) bytes .*copied, ([\d.]+) s/.exec(stderr);
  if (!match) throw new Error(`not dd's report: ${stderr.slice(0, 500)}`);
  return { bytes: Number(match[1]), seconds: Number(match[2]) };
}
