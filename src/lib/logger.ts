// One line per event, `time level message key=value ...`, to stdout (info) and stderr (warn, error).
// This is the one place that writes logs, so it is the one place that keeps out of them what grants access: a log is
// read by more people (and kept longer, and shipped further) than the database, and a reset link or refresh token in
// it is an account taken over. Fields named like a secret are written as [redacted], whatever their value; secret
// query parameters and Authorization values are cut out of every string written, the message included.
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

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

/** `?ticket=...`, `&refresh_token=...`: the value up to the next separator. */
const SECRET_PARAMETER =
  /([?&;](?:ticket|token|refresh_token|access_token|id_token|code|otp|password|secret|signature|api_key|apikey|key)=)[^&;#\s"'<>]+/gi;
/** `Bearer <token>`, `Basic <credentials>` in a header value or an error message. */
const AUTHORIZATION_VALUE = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

function isSecretName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
  return words.some((word, index) => SECRET_WORDS.has(word) || SECRET_PAIRS.has(`${word} ${words[index + 1]}`));
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

/** The line written for an event, secrets redacted. */
export function formatLogLine(level: string, message: string, fields?: LogFields): string {
  let line = `${new Date().toISOString()} ${level} ${redactText(message)}`;
  for (const [key, value] of Object.entries(fields ?? {})) {
    const safe = isSecretName(key) ? REDACTED : redactValue(value);
    const text = typeof safe === "string" ? safe : JSON.stringify(safe);
    line += ` ${key}=${/\s/.test(text ?? "") ? JSON.stringify(text) : text}`;
  }
  return line;
}

export const consoleLogger: Logger = {
  info: (message, fields) => console.log(formatLogLine("INFO", message, fields)),
  warn: (message, fields) => console.error(formatLogLine("WARN", message, fields)),
  error: (message, fields) => console.error(formatLogLine("ERROR", message, fields)),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
