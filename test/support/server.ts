// Starts a real latchkey process on a free port with a fresh data directory, as a user would run it.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { backendEnv, rememberDatabase } from "./backend.ts";
import { runProcess, spawnProcess, type Finished } from "./process.ts";
import { assertNoSecretsIn } from "./secrets.ts";

const ROOT = resolve(import.meta.dir, "../..");
/** The start-up line, as text or as a JSON line's `msg` (LOG_FORMAT=json): the URL ends before a quote. */
const LISTENING = /listening on (http:\/\/[^\s"]+)/;

export interface TestServer {
  url: string;
  dataDir: string;
  /** The server process's id (e.g. to read its memory use from /proc/<pid>/status). */
  pid: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** The first match of `pattern` in its output, once it shows (see waitForOutput). */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<RegExpExecArray>;
  /**
   * SIGTERM, then waits for the process to end; its exit code. Throws when its output holds a JWT or any secret the
   * tests handed out (test/support/secrets.ts): nothing that grants access may reach a log.
   */
  stop(): Promise<number>;
}

export interface StartOptions {
  /** Run this command instead of `bun src/main.ts` (e.g. the compiled binary). */
  command?: string[];
  /** Reuse a data directory (to test a restart); a fresh temporary one otherwise. */
  dataDir?: string;
}

/**
 * How latchkey is run: from source, or the compiled binary named by LATCHKEY_TEST_BINARY (CI runs some files
 * again on dist/latchkey, so the release itself is tested on PostgreSQL and S3).
 */
export function latchkeyCommand(): string[] {
  const binary = process.env.LATCHKEY_TEST_BINARY;
  return binary ? [resolve(binary)] : [process.execPath, join(ROOT, "src/main.ts")];
}

/** A fixed key so tests can sign their own (bad) tokens; a server without JWT_KEY generates one instead. */
export const TEST_JWT_KEY = "test-jwt-key-0123456789abcdefghijklmnopqrstuvwxyz";

export async function startServer(env: Record<string, string> = {}, options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "latchkey-test-"));
  const command = options.command ?? [...latchkeyCommand(), "serve"];
  // It is also the working directory. 0700, as latchkey makes it: a wider one gets a start-up warning.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const settings = { HOST: "127.0.0.1", PORT: "0", DATA_DIR: dataDir, JWT_KEY: TEST_JWT_KEY, ...(await backendEnv(dataDir)), ...env };
  rememberDatabase(dataDir, settings);
  const child = spawnProcess(command, { cwd: dataDir, env: childEnv(settings, dataDir), name: "latchkey" });

  let url: string;
  try {
    [, url = ""] = await child.waitFor(LISTENING, 20_000);
  } catch {
    await child.stop("SIGKILL");
    throw new Error(`latchkey did not start (exit ${child.exitCode()}):\n${child.output()}`);
  }

  return {
    url,
    dataDir,
    pid: child.pid,
    output: () => child.output(),
    waitFor: (pattern, timeoutMs = 5_000) => child.waitFor(pattern, timeoutMs),
    async stop() {
      const exitCode = await child.stop("SIGTERM");
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      assertNoSecretsIn(child.output(), `latchkey (${dataDir})`);
      return exitCode;
    },
  };
}

/** Runs latchkey to completion (for commands like `migrate`, or start-up failures). */
export async function runLatchkey(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  options: { stdin?: Blob } = {},
): Promise<Finished> {
  // A command on a server's data directory works on that server's database and bucket.
  const dataDir = env.DATA_DIR ?? cwd;
  const settings = { ...(await backendEnv(dataDir)), ...env };
  rememberDatabase(dataDir, settings);
  return runProcess([...latchkeyCommand(), ...args], { cwd, env: childEnv(settings, cwd), stdin: options.stdin, name: "latchkey" });
}

/** Only what latchkey is given (and PATH, HOME): nothing of the test run's own environment leaks into it. */
function childEnv(settings: Record<string, string>, home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? home, ...settings };
}

/**
 * The server's output once it shows `pattern` (the output arrives through a pipe, so a line logged while a request
 * was answered may reach the test after the answer). Throws after `timeoutMs`, or when the server exited, with what
 * was there.
 */
export async function waitForOutput(server: TestServer, pattern: RegExp | string, timeoutMs = 5_000): Promise<string> {
  await server.waitFor(pattern, timeoutMs);
  return server.output();
}

/** The first line of `output` that contains `text` (undefined if none). */
export function lineWith(output: string, text: string): string | undefined {
  return output.split("\n").find((line) => line.includes(text));
}
