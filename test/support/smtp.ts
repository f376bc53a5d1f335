// A real SMTP server inside the test process: latchkey delivers to it over TCP like to any mail server.
import { SMTPServer } from "smtp-server";
import { rememberSecret } from "./secrets.ts";

export interface ReceivedMail {
  to: string[];
  raw: string;
  subject: string;
  headers: Map<string, string>;
  /** The text/plain part, decoded. */
  text: string;
}

/** Deliveries held by TestSmtp.hold(): the server has the whole mail but has not answered yet. */
export interface HeldDeliveries {
  /** Resolves when the first delivery is being held. */
  holding: Promise<void>;
  /** How many deliveries are waiting for an answer now. */
  waiting(): number;
  /** Answers every held delivery (accepted) and stops holding. */
  release(): void;
}

export interface TestSmtp {
  port: number;
  mails: ReceivedMail[];
  /** Deliveries tried so far: accepted, refused and held alike. */
  attempts(): number;
  /** The next `count` deliveries are refused with a temporary error (451), as a busy or greylisting server does. */
  refuseNext(count: number): void;
  /** From now on deliveries get no answer until release(), as from a server that hangs. */
  hold(): HeldDeliveries;
  /** Waits for the next mail to `to` (or any mail), up to 10 s. */
  waitFor(to?: string): Promise<ReceivedMail>;
  /** SMTP_* settings that point latchkey here. */
  env: Record<string, string>;
  close(): Promise<void>;
}

function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const index = line.indexOf(":");
    if (index > 0) headers.set(line.slice(0, index).trim().toLowerCase(), line.slice(index + 1).trim());
  }
  return headers;
}

function decodePart(part: string): { headers: Map<string, string>; body: string } {
  const split = part.search(/\r?\n\r?\n/);
  const headers = parseHeaders(part.slice(0, split));
  let body = part.slice(split).replace(/^\r?\n\r?\n/, "");
  const encoding = headers.get("content-transfer-encoding")?.toLowerCase();
  if (encoding === "quoted-printable") body = decodeQuotedPrintable(body);
  if (encoding === "base64") body = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  return { headers, body };
}

/** Enough MIME for the mails latchkey sends: a text/plain part, maybe inside multipart/alternative. */
export function parseMail(raw: string, to: string[]): ReceivedMail {
  const top = decodePart(raw);
  let text = top.body;
  const boundary = /boundary="?([^";]+)"?/.exec(top.headers.get("content-type") ?? "")?.[1];
  if (boundary) {
    const parts = raw.split(`--${boundary}`).slice(1, -1).map(decodePart);
    text = parts.find((part) => part.headers.get("content-type")?.startsWith("text/plain"))?.body ?? "";
  }
  // The mailed ticket is a secret no log may hold (./secrets.ts).
  rememberSecret("mailed ticket", top.headers.get("x-ticket") ?? top.headers.get("x-token") ?? undefined);
  return { to, raw, subject: top.headers.get("subject") ?? "", headers: top.headers, text };
}

export async function startSmtp(): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const waiters: { to?: string; resolve: (mail: ReceivedMail) => void }[] = [];
  const consumed = new Set<ReceivedMail>();
  let attempts = 0;
  let refusals = 0;
  let held: { answers: (() => void)[]; onFirst: () => void } | null = null;

  const take = (to?: string): ReceivedMail | undefined => {
    const mail = mails.find((item) => !consumed.has(item) && (!to || item.to.includes(to.toLowerCase())));
    if (mail) consumed.add(mail);
    return mail;
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      attempts++;
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (refusals > 0) {
          refusals--;
          callback(Object.assign(new Error("4.3.0 Try again later"), { responseCode: 451 }));
          return;
        }
        if (held) {
          held.answers.push(() => accept());
          if (held.answers.length === 1) held.onFirst();
          return;
        }
        accept();
      });
      const accept = () => {
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase());
        mails.push(parseMail(Buffer.concat(chunks).toString("utf8"), to));
        for (const waiter of [...waiters]) {
          const mail = take(waiter.to);
          if (mail) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(mail);
          }
        }
        callback();
      };
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as { port: number }).port;

  return {
    port,
    mails,
    attempts: () => attempts,
    refuseNext(count) {
      refusals = count;
    },
    hold() {
      let onFirst = () => {};
      const holding = new Promise<void>((resolve) => (onFirst = resolve));
      const state = { answers: [] as (() => void)[], onFirst };
      held = state;
      return {
        holding,
        waiting: () => state.answers.length,
        release() {
          if (held === state) held = null;
          for (const answer of state.answers.splice(0)) answer();
        },
      };
    },
    waitFor(to) {
      const ready = take(to);
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const waiter = { to, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) {
            waiters.splice(index, 1);
            reject(new Error(`no mail for ${to ?? "anyone"} within 10 s`));
          }
        }, 10_000);
      });
    },
    env: { SMTP_HOST: "127.0.0.1", SMTP_PORT: String(port), SMTP_SECURE: "false", SMTP_SENDER: "latchkey@example.com" },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function linkIn(mail: ReceivedMail): string {
  const link = /https?:\/\/\S+/.exec(mail.text)?.[0];
  if (!link) throw new Error(`no link in mail:\n${mail.text}`);
  return link;
}
