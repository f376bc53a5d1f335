// `latchkey config check`: the settings in effect, as this latchkey reads them from this environment (and a .env
// file of the working folder), with every secret masked, and the variables that look like a setting but are not one.
// Exit 0 (warnings too), 1 when the settings would stop the server from starting.
import { loadConfig, settingNames, type Config, type Env } from "../config.ts";
import { ConfigError } from "../lib/errors.ts";
import { corsWarning } from "../cors.ts";
import { lookalikeSettings } from "./lookalike-settings.ts";

export const CONFIG_HELP = `latchkey config check              print the settings in effect (secrets masked) and warn about variables
                                   that look like a setting but are not one (a typo such as SMTP_HOTS);
                                   exit 0, with warnings too, or 1 when the settings are invalid`;

const MASK = "******** (set)";
/** Words of a setting's name that make its value a secret: JWT keys, passwords, the admin secret, credentials. */
const SECRET_WORDS = new Set(["key", "secret", "password", "pass", "credential", "token"]);

/** Runs the command; returns the process exit code. `overrides`: what the command line sets (--data-dir). */
export function configCheckCommand(env: Env, overrides: Env, args: string[]): number {
  if (args.length !== 1 || args[0] !== "check") {
    console.error(`latchkey: usage:\n${CONFIG_HELP}`);
    return 2;
  }
  let config: Config | null = null;
  let problems: string[] = [];
  try {
    config = loadConfig({ ...env, ...overrides });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems = error.problems;
  }
  if (config !== null) {
    console.log("the settings in effect (secrets masked):\n");
    const rows = settingRows(config);
    const width = Math.max(...rows.map(([path]) => path.length));
    for (const [path, value] of rows) console.log(`${path.padEnd(width)}  ${value}`);
  }
  const known = settingNames({ ...env, ...overrides });
  const setVariables = Object.keys(env).filter((name) => env[name] !== undefined && env[name]!.trim() !== "");
  const read = setVariables.filter((name) => known.includes(name)).sort();
  if (config !== null) console.log(`\nset in the environment: ${read.length > 0 ? read.join(", ") : "nothing (every setting has its default)"}`);
  const warnings = settingWarnings(env, config);
  for (const warning of warnings) console.error(`warning: ${warning}`);
  if (problems.length > 0) {
    console.error(`latchkey: invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    return 1;
  }
  if (warnings.length > 0) console.error(`${warnings.length} warning(s)`);
  return 0;
}

/**
 * What `latchkey config check` warns about (the admin console shows the same): variables that look like a setting but
 * are not one, and, for settings that load, combinations the server starts with but warns of.
 */
export function settingWarnings(env: Env, config: Config | null): string[] {
  const setVariables = Object.keys(env).filter((name) => env[name] !== undefined && env[name]!.trim() !== "");
  // The names as this environment makes them: OIDC_PROVIDERS adds OIDC_<NAME>_* settings.
  const warnings = lookalikeSettings(setVariables, settingNames(env)).map(
    ({ variable, meant }) => `${variable} is not a latchkey setting and is ignored${meant ? `; did you mean ${meant}?` : ""}`,
  );
  if (config === null) return warnings;
  const cors = corsWarning({ corsOrigins: config.server.corsOrigins, sameSite: config.cookies.sameSite });
  if (cors) warnings.push(cors);
  const https = config.server.publicUrl !== null && /^https:/i.test(config.server.publicUrl);
  if (config.console.enabled && https && !config.console.requireMfa) {
    warnings.push("CONSOLE_REQUIRE_MFA=false with an https PUBLIC_URL: an administrator signs in to the console with a password alone");
  }
  return warnings;
}

/** [dotted path, shown value] for every leaf of the configuration, secrets masked. */
export function settingRows(config: Config): [string, string][] {
  const rows: [string, string][] = [];
  const walk = (value: unknown, path: string[]): void => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
      return;
    }
    rows.push([path.join("."), shown(path[path.length - 1]!, value)]);
  };
  walk(config, []);
  return rows;
}

function shown(name: string, value: unknown): string {
  if (value === null || value === undefined) return "(unset)";
  if (value === "") return "(empty)";
  if (isSecretName(name)) return MASK;
  if (Array.isArray(value)) return value.length === 0 ? "(none)" : value.map((item) => maskUrl(String(item))).join(", ");
  return typeof value === "string" ? maskUrl(value) : String(value);
}

/**
 * A setting that is a secret: its name ends with a secret word (`adminSecret`, `previousKey`, `secretAccessKey`,
 * `sessionToken`). `accessKeyId` names an identifier, and `minPasswordLength` or `tokenExpiresInMinutes` a number.
 */
function isSecretName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/);
  return SECRET_WORDS.has(words[words.length - 1]!);
}

/** A URL parameter that carries a secret (`password`, `sslpassword`, `X-Amz-Signature`, `api_key` ...). */
const SECRET_PARAMETER = /pass|secret|token|key|credential|signature|auth/i;

/** A URL's password (DATABASE_URL's, or one written into any other URL) and secret parameters masked; other text as it is. */
function maskUrl(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || !URL.canParse(text)) return text;
  const url = new URL(text);
  const secretParameters = [...url.searchParams.keys()].filter((name) => SECRET_PARAMETER.test(name));
  if (url.password === "" && secretParameters.length === 0) return text;
  const userinfo = url.username === "" && url.password === "" ? "" : `${url.username}${url.password === "" ? "" : ":********"}@`;
  for (const name of secretParameters) url.searchParams.set(name, "********");
  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${url.search}${url.hash}`;
}
