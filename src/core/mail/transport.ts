// Where mail goes: an SMTP server when SMTP_HOST is set, otherwise .eml files in <data dir>/outbox/
// (so a first start needs no mail server; the links are logged too).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Transporter } from "nodemailer";
import type { Config } from "../../config.ts";
import { randomToken } from "../secrets.ts";

// nodemailer is loaded with the first mail, not at start-up: its ~50 modules were a fifth of the binary's
// time to its first answer, and most servers send no mail in their first seconds.
type CreateTransport = (typeof import("nodemailer"))["createTransport"];
let loading: Promise<CreateTransport> | null = null;
const createTransport = () => (loading ??= import("nodemailer").then((module) => module.default.createTransport));

/** The transporter `make` builds, made on first use and kept. */
function lazily(make: (create: CreateTransport) => Transporter): { get(): Promise<Transporter>; made(): Transporter | null } {
  let made: Promise<Transporter> | null = null;
  let ready: Transporter | null = null;
  return {
    get: () =>
      (made ??= createTransport().then((create) => {
        ready = make(create);
        return ready;
      })),
    made: () => ready,
  };
}

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
  const transporter = lazily((create) =>
    create({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      auth: smtp.user ? { user: smtp.user, pass: smtp.pass ?? "", method: smtp.authMethod } : undefined,
    }),
  );
  return {
    async send(mail) {
      await (await transporter.get()).sendMail(mail);
      return `smtp://${smtp.host}:${smtp.port}`;
    },
    close: () => transporter.made()?.close(),
  };
}

export function outboxTransport(dir: string): MailTransport {
  const transporter = lazily((create) => create({ streamTransport: true, buffer: true, newline: "unix" }));
  return {
    async send(mail) {
      const info = await (await transporter.get()).sendMail(mail);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomToken(6)}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600 });
      return file;
    },
    close() {},
  };
}
