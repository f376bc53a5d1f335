// Where mail goes: an SMTP server when SMTP_HOST is set, otherwise .eml files in <data dir>/outbox/
// (so a first start needs no mail server; the log names each file, never what is in it).
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Transporter } from "nodemailer";
import type { Config } from "../../config.ts";
import type { Random } from "../../lib/random.ts";

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

/** What became of a mail handed over. */
export interface Delivery {
  /** Where it went, for the log: `smtp://host:port`, or the .eml file written. */
  where: string;
  /** The SMTP server's answer (`250 2.0.0 Ok: queued as ...`); null for the outbox. */
  response: string | null;
}

export interface MailTransport {
  /** Rejects with the server's answer when it refuses the mail or cannot be reached. */
  send(mail: OutgoingMail): Promise<Delivery>;
  close(): void;
}

/**
 * How long a mail server may keep latchkey waiting (nodemailer's defaults: 2 and 10 minutes). Shorter than the mail
 * worker's lease on a mail (core/mail/worker.ts), so a hung server costs one attempt, and no second instance sends the
 * same mail meanwhile.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 };

export function smtpTransport(smtp: NonNullable<Config["mail"]["smtp"]>): MailTransport {
  const transporter = lazily((create) =>
    create({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      auth: smtp.user ? { user: smtp.user, pass: smtp.pass ?? "", method: smtp.authMethod } : undefined,
      ...SMTP_TIMEOUTS,
    }),
  );
  return {
    async send(mail) {
      const info = await (await transporter.get()).sendMail(mail);
      return { where: `smtp://${smtp.host}:${smtp.port}`, response: typeof info.response === "string" ? info.response : null };
    },
    close: () => transporter.made()?.close(),
  };
}

/** `random`: names files apart when two mails are written in the same millisecond. */
export function outboxTransport(dir: string, random: Random): MailTransport {
  const transporter = lazily((create) => create({ streamTransport: true, buffer: true, newline: "unix" }));
  return {
    async send(mail) {
      const info = await (await transporter.get()).sendMail(mail);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${random.token(6)}.eml`);
      // Written aside and renamed: whoever watches the folder never reads half a mail.
      writeFileSync(`${file}.part`, info.message as Buffer, { mode: 0o600 });
      renameSync(`${file}.part`, file);
      return { where: file, response: null };
    },
    close() {},
  };
}
