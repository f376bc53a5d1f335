// Secrets latchkey generates on first start (JWT key, cookie secret) so that an empty folder is a working
// server. They live in the data directory with mode 0600; deleting one signs everybody out.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "./logger.ts";
import { randomToken } from "./secrets.ts";

export function loadOrCreateSecret(file: string, options: { bytes: number; logger: Logger; what: string }): string {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomToken(options.bytes);
  // "wx": if another process created it between our check and now, fail instead of overwriting its key.
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  options.logger.warn(`generated a ${options.what} and stored it in the data directory; set it explicitly in production`, { file });
  return secret;
}
