// Every log line goes through here, written by pino: one JSON object per line (LOG_FORMAT=json, for journald, Loki or
// docker), or `time LEVEL message key=value ...` for a terminal (LOG_FORMAT=text, the default: a small formatter over
// pino's objects, so the shape fail2ban matches stays exact). Written synchronously to stdout (debug, info) and stderr
// (warn, error): no worker-thread transport, which `bun build --compile` could not carry, and no line lost at exit.
//
// This is the one place that keeps out of logs what grants access: a log is read by more people (and kept longer, and
// shipped further) than the database, and a reset link or refresh token in it is an account taken over. Fields named
// like a secret are written as [redacted], whatever their value and however deep (pino's `redact` list names the
// known ones; the walk below catches every other name holding a secret word, `newPassword`, `x-refresh-token`); secret
// query parameters and Authorization values are cut out of every string written, the message included.
import pino, { type DestinationStream, type Logger as Pino } from "pino";
import { currentRequestId } from "./request-context.ts";

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose every line carries `fields` too. */
  child?(fields: LogFields): Logger;
  /** Whether lines of `level` are written (LOG_LEVEL): lets a caller skip working out a line nobody reads. */
  isEnabled?(level: LogLevel): boolean;
}

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const REDACTED = "[redacted]";

/**
 * Words that make a field a secret, matched against each word of its name (`refreshToken`, `refresh_token` and
 * `x-refresh-token` all hold `token`). `link`: mailed links carry tickets. `code`: one-time, TOTP and recovery codes.
 */
const SECRET_WORDS = new Set([
  "password", "passwd", "pass", "passphrase", "secret", "token", "ticket", "link", "code", "otp", "jwt",
  "authorization", "cookie", "credential", "credentials", "apikey", "signature",
]);
const SECRET_PAIRS = new Set(["api key", "private key", "set cookie"]);

/**
 * pino's redaction list: the secret-bearing fields latchkey's requests, answers and settings have, at the top of a
 * line. The names are the API fields of the four dialects and the headers that carry credentials. Deeper fields
 * (`headers.authorization`, `body.password`) are redacted before pino sees a line (redactFields: any field named like
 * a secret, at any depth); pino's wildcard paths would do that again at a cost of several times a whole line's
 * writing, on every line, the access line of every request included (bench/README.md).
 */
const REDACTED_NAMES = [
  "password", "new_password", "newPassword", "old_password", "oldPassword", "currentPassword", "passwordHash",
  "token", "access_token", "accessToken", "refresh_token", "refreshToken", "id_token", "jwt", "jwt_token",
  "ticket", "mfa_ticket", "code", "otp", "totp", "recovery_code", "recoveryCode", "backup_code", "secret",
  "totp_secret", "client_secret", "credential", "api_key", "apiKey", "link", "authorization", "Authorization",
  "cookie", "Cookie", "set-cookie", "Set-Cookie", "x-admin-secret", "x-hasura-admin-secret", "admin_secret",
  "adminSecret", "signature",
];
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
export const REDACT_PATHS: readonly string[] = REDACTED_NAMES.flatMap((name) =>
  IDENTIFIER.test(name) ? [name] : [`["${name}"]`],
);

/** `?ticket=...`, `&refresh_token=...`: the value up to the next separator. */
const SECRET_PARAMETER =
  /([?&;](?:ticket|token|refresh_token|access_token|id_token|code|otp|password|secret|signature|api_key|apikey|key)=)[^&;#\s"'<>]+/gi;
/** `Bearer <token>`, `Basic <credentials>` in a header value or an error message. */
const AUTHORIZATION_VALUE = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

function judgeName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
  return words.some((word, index) => SECRET_WORDS.has(word) || SECRET_PAIRS.has(`${word} ${words[index + 1]}`));
}

/** Field names seen so far and whether each is a secret's: the same few names come on every line (bounded). */
const secretNames = new Map<string, boolean>();

function isSecretName(name: string): boolean {
  let secret = secretNames.get(name);
  if (secret === undefined) {
    secret = judgeName(name);
    if (secretNames.size < 10_000) secretNames.set(name, secret);
  }
  return secret;
}

/** `text` with secret query parameters and Authorization values replaced by [redacted]. */
export function redactText(text: string): string {
  return text.replace(SECRET_PARAMETER, `$1${REDACTED}`).replace(AUTHORIZATION_VALUE, `$1 ${REDACTED}`);
}

/** A copy of `value` safe to log: nested fields named like secrets redacted, strings cleaned (see above). */
function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (value instanceof Error) return redactText(value.stack ?? value.message);
  if (value === null || typeof value !== "object" || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, isSecretName(key) ? REDACTED : redactValue(item, depth + 1)]),
  );
}

/** A line's fields, safe to log. */
function redactFields(fields: LogFields | undefined): LogFields {
  if (fields === undefined) return {};
  return redactValue(fields) as LogFields;
}

/** The keys of a pino line that the text format writes in front, not as `key=value`. */
const HEAD_KEYS = new Set(["time", "level", "msg"]);

/** A pino line as text: `time LEVEL message key=value ...`; values with white space quoted as JSON strings. */
export function formatTextLine(line: Record<string, unknown>): string {
  let text = `${String(line.time)} ${String(line.level).toUpperCase()} ${String(line.msg ?? "")}`;
  for (const [key, value] of Object.entries(line)) {
    if (HEAD_KEYS.has(key)) continue;
    const written = typeof value === "string" ? value : JSON.stringify(value);
    text += ` ${key}=${/\s/.test(written ?? "") ? JSON.stringify(written) : written}`;
  }
  return text;
}

/** The text line written for an event, secrets redacted (what LOG_FORMAT=text writes). */
export function formatLogLine(level: string, message: string, fields?: LogFields): string {
  return formatTextLine({ time: new Date().toISOString(), level, msg: redactText(message), ...redactFields(fields) });
}

/** Where lines go; `write` gets one JSON line (with its "\n"). */
export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where debug and info lines go; stdout by default. */
  stdout?: LogSink;
  /** Where warn and error lines go; stderr by default. */
  stderr?: LogSink;
}

/** pino's JSON lines, as text lines, to `sink`. */
function textSink(sink: LogSink): LogSink {
  return { write: (line) => sink.write(`${formatTextLine(JSON.parse(line) as Record<string, unknown>)}\n`) };
}

/** The pino logger behind createLogger(), for one format, level and pair of outputs. */
function createPino(options: LoggerOptions): Pino {
  const out = options.stdout ?? pino.destination({ dest: 1, sync: true });
  const err = options.stderr ?? pino.destination({ dest: 2, sync: true });
  const wrap = (sink: LogSink): DestinationStream => (options.format === "text" ? textSink(sink) : sink);
  return pino(
    {
      level: options.level,
      // No pid and hostname: journald, docker and Loki add where a line came from.
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      // A line written while a request is handled carries its id (src/lib/request-context.ts); the line's own
      // fields win (the access line names it itself).
      mixin: () => {
        const requestId = currentRequestId();
        return requestId === undefined ? {} : { request_id: requestId };
      },
    },
    // dedupe: a line goes to the one stream of the highest level it reaches (warn and error to stderr only).
    pino.multistream(
      [
        { level: "debug", stream: wrap(out) },
        { level: "warn", stream: wrap(err) },
      ],
      { dedupe: true },
    ),
  );
}

function wrapPino(logger: Pino): Logger {
  const write = (level: LogLevel) => (message: string, fields?: LogFields) => {
    if (!logger.isLevelEnabled(level)) return;
    logger[level](redactFields(fields), redactText(message));
  };
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (fields) => wrapPino(logger.child(redactFields(fields))),
    isEnabled: (level) => logger.isLevelEnabled(level),
  };
}

/** The logger a server or a command writes with (LOG_LEVEL, LOG_FORMAT). */
export function createLogger(options: LoggerOptions): Logger {
  return wrapPino(createPino(options));
}

/** Text lines at info and above, for what runs before the settings are read, and for commands. */
export const consoleLogger: Logger = createLogger({ level: "info", format: "text" });

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger, isEnabled: () => false };
