// Secrets latchkey generates on first start when they are not set (the JWT key or key pair, the cookie secret), so
// that an empty folder is a working server. They are kept in the database (table generated_secrets), not in one
// instance's data directory: every instance on a database signs and verifies with the same keys, and
// `latchkey export` carries them to a new database. Deleting a row signs everybody out.
//
// Instances starting at once on an empty database may both generate one; the insert keeps the first and every
// instance then uses the row, so they agree. Deployments from before kept these secrets as files in
// <DATA_DIR>/keys/: the first start that finds no row moves the file's secret into the database, so nobody is signed
// out by the upgrade.
import { existsSync, readFileSync } from "node:fs";
import type { GeneratedSecretsRepository } from "../../db/repositories/generated-secrets.ts";
import type { Logger } from "../../lib/logger.ts";

export interface GeneratedSecret {
  /** Its row: `jwt-hmac`, `jwt-rs256` ..., `cookie`. */
  name: string;
  /** What it is, for the log line ("JWT signing key"). */
  what: string;
  /** Makes a new one (random bytes, a key pair as PEM); called only when the database has none. */
  create(): string | Promise<string>;
  /** Where a latchkey before the database kept it (<DATA_DIR>/keys/...); read only when the database has none. */
  legacyFile: string;
  /**
   * Throws (a ConfigError naming `source`) when a value cannot be used: a damaged legacy file is refused before it
   * is copied into the database, where it would outlive the file.
   */
  check?(value: string, source: string): void;
}

export interface LoadedSecret {
  value: string;
  /** Where it came from, for error messages: "generated_secrets row jwt-es256". */
  source: string;
}

/**
 * The secret stored under `secret.name`; without one, the legacy file's or a new one, stored first. Instances that
 * start at the same moment all answer the one stored.
 */
export async function loadGeneratedSecret(
  stored: GeneratedSecretsRepository,
  secret: GeneratedSecret,
  logger: Logger,
): Promise<LoadedSecret> {
  const source = `generated_secrets row ${secret.name}`;
  const existing = await stored.value(secret.name);
  if (existing !== null) return { value: existing, source };

  const legacy = existsSync(secret.legacyFile) ? readFileSync(secret.legacyFile, "utf8").trim() : null;
  if (legacy !== null) secret.check?.(legacy, secret.legacyFile);
  const candidate = legacy ?? (await secret.create()).trim();
  if (!(await stored.insertFirst(secret.name, candidate))) {
    // Another instance stored one first: use that one, so both sign alike.
    const winner = await stored.value(secret.name);
    if (winner === null) throw new Error(`${source} vanished while being created`);
    return { value: winner, source };
  }
  if (legacy !== null) {
    logger.warn(`moved the ${secret.what} from the data directory into the database; the file is no longer read`, { file: secret.legacyFile });
  } else {
    logger.warn(`generated a ${secret.what} and stored it in the database`, { table: "generated_secrets", name: secret.name });
  }
  return { value: candidate, source };
}
