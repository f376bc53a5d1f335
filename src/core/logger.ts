// One line per event, `time level message key=value ...`, to stdout (info) and stderr (warn, error).
export type LogFields = Record<string, unknown>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

function format(level: string, message: string, fields?: LogFields): string {
  let line = `${new Date().toISOString()} ${level} ${message}`;
  for (const [key, value] of Object.entries(fields ?? {})) {
    const text = value instanceof Error ? (value.stack ?? value.message) : typeof value === "string" ? value : JSON.stringify(value);
    line += ` ${key}=${/\s/.test(text ?? "") ? JSON.stringify(text) : text}`;
  }
  return line;
}

export const consoleLogger: Logger = {
  info: (message, fields) => console.log(format("INFO", message, fields)),
  warn: (message, fields) => console.error(format("WARN", message, fields)),
  error: (message, fields) => console.error(format("ERROR", message, fields)),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
