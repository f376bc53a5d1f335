// Secrets latchkey generates on first start (JWT key or key pair, cookie secret) so that an empty folder is a working
// server. They live in the data directory with mode 0600; deleting one signs everybody out.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "./logger.ts";
import { randomToken } from "./secrets.ts";

interface PersistOptions {
  logger: Logger;
  /** What the file holds, for the log line ("JWT signing key"). */
  what: string;
}

export function loadOrCreateSecret(file: string, options: PersistOptions & { bytes: number }): string {
  return readExisting(file) ?? store(file, randomToken(options.bytes), options);
}

/** Like loadOrCreateSecret, for contents that take a while to make (a key pair, as PEM); create() runs only on first start. */
export async function loadOrCreateFile(file: string, options: PersistOptions & { create: () => Promise<string> }): Promise<string> {
  return readExisting(file) ?? store(file, await options.create(), options);
}

function readExisting(file: string): string | null {
  return existsSync(file) ? readFileSync(file, "utf8").trim() : null;
}

function store(file: string, contents: string, options: PersistOptions): string {
  mkdirSync(dirname(file), { recursive: true });
  const trimmed = contents.trim();
  // "wx": if another process created it between our check and now, fail instead of overwriting its key.
  writeFileSync(file, `${trimmed}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  options.logger.warn(`generated a ${options.what} and stored it in the data directory; set it explicitly in production`, { file });
  return trimmed;
}
