// `latchkey <command> --help`: each command's own page, standing alone (the binary's user may have no README), and
// where the running server documents its HTTP APIs: <PUBLIC_URL>/openapi.
import { loadConfig, settingNames, type Env } from "../config.ts";
import { CONFIG_HELP } from "./config-check.ts";
import { BACKUP_HELP, RESTORE_HELP } from "./backup-command.ts";
import { EXPORT_HELP } from "./export.ts";
import { HEALTHCHECK_HELP } from "./healthcheck.ts";
import { IMPORT_HELP } from "./import.ts";
import { MAIL_HELP } from "./mail-command.ts";
import { USER_HELP } from "./user-command.ts";

export const GLOBAL_OPTIONS_HELP = `Options for every command:
  --data-dir <dir>   the data directory (database, files, outbox, generated keys); wins over DATA_DIR.
                     Commands other than serve, migrate and import refuse a folder without a latchkey
                     database ("no latchkey database in <dir>", exit 1) rather than create an empty one
  --help, -h         this help; \`latchkey <command> --help\` describes one command`;

const SERVE_HELP = `latchkey [serve]                   start the server (the default command): applies pending database migrations,
                                   then listens on HOST:PORT (0.0.0.0:3000 by default) and keeps its data in
                                   DATA_DIR (./data). SIGTERM or SIGINT stop it cleanly. The start-up line
                                   "latchkey <version> listening on <url>" is written at every LOG_LEVEL (with
                                   LOG_FORMAT=json one JSON line with a "url" field); PORT=0 takes any free port
  --ephemeral                      keep everything in a new temporary folder (0700, under $TMPDIR), removed at exit
                                   (SIGTERM, SIGINT, a start-up error); wins over DATA_DIR. Refused with DATABASE_URL
                                   or STORAGE_URL, whose database or bucket would outlive the run
  --seed <file>                    before listening, create the users and files of <file>: JSON, or YAML (*.yaml,
                                   *.yml). {"users": [{"email", "password", "roles": [...], "defaultRole",
                                   "displayName", "totpSecret": "<160-bit base32>"}], "files": [{"path", one of
                                   "text" | "base64" | "file": "<local path>", "contentType"}]}. Files need
                                   ADMIN_SECRET. An account that exists already, or any invalid entry, stops start-up
                                   with exit code 2 and a message naming it: use it on a new database (--ephemeral)`;

const MIGRATE_HELP = `latchkey migrate                   apply database migrations and exit (creates the database if there is none)`;

const SETTINGS_HELP = `Settings come from the environment and from a .env file in the working folder; \`latchkey config check\`
prints the ones in effect. A bad value stops any command with exit code 2 and a message naming the variable.`;

/** Each command's page: what it does and its options, by the name typed. */
const PAGES: Record<string, () => string> = {
  serve: () => SERVE_HELP,
  migrate: () => MIGRATE_HELP,
  user: () => `${USER_HELP}\n\n<account> is an email address, a username or an account id. --json prints one JSON document for\nscripts. Exit codes: 0 done, 1 refused (no such account, a password the policy refuses ...), 2 bad usage.`,
  export: () => EXPORT_HELP,
  import: () => IMPORT_HELP,
  mail: () => MAIL_HELP,
  healthcheck: () => HEALTHCHECK_HELP,
  backup: () => BACKUP_HELP,
  restore: () => RESTORE_HELP,
  config: () => `${CONFIG_HELP}\n\nThe variables latchkey reads:\n${wrap(settingNames().join(", "), 100)}`,
};

/** Where the docs are, with this environment's PUBLIC_URL when its settings can be read. */
export function docsPointer(env: Env): string {
  let url = "<PUBLIC_URL>/openapi";
  try {
    const config = loadConfig(env);
    url = `${config.server.publicUrl ?? `http://localhost:${config.server.port}`}/openapi`;
  } catch {
    // Help is printed whatever the settings; the pointer then names the setting instead of a URL.
  }
  return `The running server documents its HTTP APIs (HBP, Faroe, lncrawl, WolfPal, storage) at ${url}\n(PUBLIC_URL followed by /openapi; /openapi/json is the OpenAPI document itself).`;
}

/** The help of one command, or null for a command that has no page here. */
export function commandHelp(command: string, env: Env): string | null {
  const page = PAGES[command === "help" ? "" : command];
  if (!page) return null;
  return `Usage:\n${indent(page())}\n\n${GLOBAL_OPTIONS_HELP}\n\n${SETTINGS_HELP}\n\n${docsPointer(env)}\n`;
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, "  ");
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + word.length + 1 > width) {
      lines.push(line);
      line = "";
    }
    line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return indent(lines.join("\n"));
}
