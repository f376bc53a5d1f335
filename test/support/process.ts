// Other processes the tests start (latchkey itself, s3rver, PostgreSQL) and what they print: one place that starts
// them, collects stdout and stderr, waits for a line with a deadline, and stops them with a signal. startServer,
// runLatchkey, startS3 and startPostgres are built on it.
import { basename } from "node:path";
import type { Subprocess } from "bun";

export interface SpawnOptions {
  cwd?: string;
  /** The child's whole environment (nothing else is inherited); this process's environment when left out. */
  env?: Record<string, string | undefined>;
  /** "ignore" (the default), "pipe" (ended by closeStdin(): how s3rver and PostgreSQL learn to stop), or a file to read. */
  stdin?: "ignore" | "pipe" | Blob;
  /** What error messages call it; the command's file name by default. */
  name?: string;
}

/** A process started by spawnProcess(): what it printed so far, waiting for a line, stopping it. */
export interface ChildProcess {
  readonly pid: number;
  /** Its exit code once it ended, null while it runs. */
  exitCode(): number | null;
  /** Everything it printed so far, stdout and stderr interleaved as they arrived. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /**
   * The first match of `pattern` in its output, as soon as it is there. Fails, with the output in the message, when
   * the process ends without printing it or after `timeoutMs`.
   */
  waitFor(pattern: RegExp | string, timeoutMs: number): Promise<RegExpExecArray>;
  /** Its exit code once it ended and what it printed was read. */
  finished(): Promise<number>;
  /** Sends `signal` (SIGTERM by default), then finished(). */
  stop(signal?: NodeJS.Signals): Promise<number>;
  /** Ends its stdin (with stdin "pipe"). */
  closeStdin(): void;
  /** Lets this process exit without waiting for the child (which must then end on its own, e.g. when its stdin closes). */
  unref(): void;
}

export interface Finished {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * How long finished() waits, once the process exited, for the rest of its output: a grandchild that inherited the
 * pipes (a shell's background job) could keep them open for ever, and an exit must not hang a test.
 */
const DRAIN_MS = 5_000;

export function spawnProcess(command: string[], options: SpawnOptions = {}): ChildProcess {
  const name = options.name ?? basename(command[0] ?? "process");
  const child: Subprocess<"ignore" | "pipe", "pipe", "pipe"> = Bun.spawn(command, {
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin ?? "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });

  let output = "";
  const printed = { stdout: "", stderr: "" };
  const listeners = new Set<() => void>();
  const collect = async (from: "stdout" | "stderr") => {
    const decoder = new TextDecoder();
    const append = (text: string) => {
      printed[from] += text;
      output += text;
      for (const listener of listeners) listener();
    };
    for await (const chunk of child[from]) append(decoder.decode(chunk, { stream: true }));
    append(decoder.decode());
  };
  const read = Promise.all([collect("stdout"), collect("stderr")]).catch(() => {});
  const finished = child.exited.then(async (exitCode) => {
    let timer: Timer | undefined;
    await Promise.race([read, new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS)))]);
    clearTimeout(timer);
    return exitCode;
  });

  return {
    pid: child.pid,
    exitCode: () => child.exitCode,
    output: () => output,
    stdout: () => printed.stdout,
    stderr: () => printed.stderr,
    waitFor(pattern, timeoutMs) {
      const regex = typeof pattern === "string" ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")) : new RegExp(pattern);
      return new Promise((resolve, reject) => {
        let settled = false;
        const settle = (outcome: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          listeners.delete(check);
          outcome();
        };
        const check = () => {
          const match = regex.exec(output);
          if (match) settle(() => resolve(match));
        };
        const timer = setTimeout(
          () => settle(() => reject(new Error(`${name} printed no ${regex} within ${timeoutMs} ms:\n${output}`))),
          timeoutMs,
        );
        listeners.add(check);
        check();
        void finished.then((exitCode) => {
          check();
          settle(() => reject(new Error(`${name} exited (${exitCode}) without printing ${regex}:\n${output}`)));
        });
      });
    },
    finished: () => finished,
    stop(signal = "SIGTERM") {
      child.kill(signal);
      return finished;
    },
    closeStdin() {
      if (typeof child.stdin === "object" && child.stdin) void child.stdin.end();
    },
    unref: () => child.unref(),
  };
}

/**
 * Runs a command to its end: its exit code and what it printed. With `timeoutMs`, a process still running by then
 * is killed and the call fails with its output.
 */
export async function runProcess(command: string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<Finished> {
  const child = spawnProcess(command, options);
  let timer: Timer | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    if (options.timeoutMs !== undefined) timer = setTimeout(() => resolve("timeout"), options.timeoutMs);
  });
  const outcome = await Promise.race([child.finished(), deadline]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    await child.stop("SIGKILL");
    throw new Error(`${options.name ?? basename(command[0] ?? "process")} was still running after ${options.timeoutMs} ms:\n${child.output()}`);
  }
  return { exitCode: outcome, stdout: child.stdout(), stderr: child.stderr() };
}
