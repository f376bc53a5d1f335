// How mail leaves latchkey (core/mail/): over SMTP, or into <data dir>/outbox/ without SMTP_HOST; from whom, with
// which templates, and how often the queue retries. Read by config.ts into `mail`.
import type { Reader } from "./config-reader.ts";

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string | null;
  pass: string | null;
  authMethod: string;
}

export interface MailSettings {
  enabled: boolean;
  /** null: mails are written to <data dir>/outbox/ (the log names each file). */
  smtp: SmtpSettings | null;
  sender: string;
  templatesDir: string | null;
  /** The mail queue's retries (core/mail/worker.ts): attempts per mail, and the wait before the first retry (doubled after each). */
  queue: { maxAttempts: number; retryDelaySeconds: number };
}

export function readMailSettings(read: Reader): MailSettings {
  const smtpHost = read.optionalString("SMTP_HOST");
  const smtpPort = read.number("SMTP_PORT", 587, { min: 1, max: 65535, integer: true });
  const smtpUser = read.optionalString("SMTP_USER");
  return {
    enabled: read.bool(["EMAILS_ENABLED", "EMAILS_ENABLE"], true),
    smtp: smtpHost
      ? {
          host: smtpHost,
          port: smtpPort,
          // HBP defaults SMTP_SECURE to true, which breaks the default port 587 (STARTTLS); implicit TLS only on 465.
          secure: read.bool("SMTP_SECURE", smtpPort === 465),
          user: smtpUser,
          pass: read.optionalString("SMTP_PASS"),
          authMethod: read.string("SMTP_AUTH_METHOD", "PLAIN"),
        }
      : null,
    sender: read.string("SMTP_SENDER", smtpUser ?? "latchkey@localhost"),
    templatesDir: read.optionalString("EMAIL_TEMPLATES_DIR"),
    queue: {
      // 8 attempts 30 s apart, doubling: the last about an hour after the first, when a mailed ticket expires.
      maxAttempts: read.number("MAIL_MAX_ATTEMPTS", 8, { min: 1, max: 50, integer: true }),
      retryDelaySeconds: read.number("MAIL_RETRY_DELAY_SECONDS", 30, { min: 1, max: 3600, integer: true }),
    },
  };
}
