// Where mail goes: an SMTP server when SMTP_HOST is set, otherwise .eml files in <data dir>/outbox/
// (so a first start needs no mail server; the links are logged too).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import nodemailer from "nodemailer";
import type { Config } from "../../config.ts";
import { randomToken } from "../secrets.ts";

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
}

export interface MailTransport {
  /** Where a mail went, for the log: "smtp" or the .eml file written. */
  send(mail: OutgoingMail): Promise<string>;
  close(): void;
}

export function smtpTransport(smtp: NonNullable<Config["mail"]["smtp"]>): MailTransport {
  const transporter = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.pass ?? "", method: smtp.authMethod } : undefined,
  });
  return {
    async send(mail) {
      await transporter.sendMail(mail);
      return `smtp://${smtp.host}:${smtp.port}`;
    },
    close: () => transporter.close(),
  };
}

export function outboxTransport(dir: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    async send(mail) {
      const info = await transporter.sendMail(mail);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomToken(6)}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600 });
      return file;
    },
    close() {},
  };
}
