// `latchkey serve --ephemeral`: a server for one CI job. Its data directory is a new temporary folder (mkdtemp, 0700)
// that is removed when the process exits: SIGTERM, SIGINT, a normal exit, and a start-up that stops on a
// configuration error. DATABASE_URL or STORAGE_URL are refused with it: the database or bucket they name would
// outlive the run, which is the opposite of what --ephemeral promises.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Env } from "./config.ts";
import { ConfigError } from "./lib/errors.ts";

/** The problems of --ephemeral with these settings (none: it can be used). */
export function ephemeralProblems(env: Env): string[] {
  return ["DATABASE_URL", "STORAGE_URL"]
    .filter((name) => (env[name] ?? "").trim() !== "")
    .map((name) => `--ephemeral keeps everything in a temporary folder removed at exit; ${name} names storage that would outlive it: unset ${name}`);
}

/** Makes the temporary data directory and removes it when the process exits, however it exits. */
export function ephemeralDataDir(env: Env): string {
  const problems = ephemeralProblems(env);
  if (problems.length > 0) throw new ConfigError(problems);
  // mkdtemp makes it 0700 with a name nobody can guess in advance.
  const dataDir = mkdtempSync(join(tmpdir(), "latchkey-ephemeral-"));
  // "exit" runs for process.exit() (the signal handlers' and exit code 2's) and a natural end; it must be synchronous.
  process.on("exit", () => rmSync(dataDir, { recursive: true, force: true }));
  return dataDir;
}
