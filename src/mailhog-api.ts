// MAILHOG_API_PORT: a MailHog-compatible read API over the mails this process sent, for test suites written against
// MailHog (HBP's own read `Content.Headers` and `Content.Body`). It listens on 127.0.0.1 only, never another address:
// the mails carry activation links and tickets, which grant access, so only the machine itself may read them. Mails
// are kept in memory (the last MAX_KEPT), with SMTP_HOST or the outbox alike, and are gone when the server stops.
import { randomUUID } from "node:crypto";
import type { MailTransport, OutgoingMail } from "./core/mail/transport.ts";
import { ConfigError } from "./lib/errors.ts";

/** The most mails kept: the oldest go first, so a long CI run cannot grow the process without bound. */
const MAX_KEPT = 1000;
/** MailHog's default page size for /api/v2/messages and /api/v2/search. */
const DEFAULT_LIMIT = 50;

interface Path {
  Relays: null;
  Mailbox: string;
  Domain: string;
  Params: string;
}

interface MimePart {
  Headers: Record<string, string[]>;
  Body: string;
  Size: number;
  MIME: { Parts: MimePart[] } | null;
}

/** One mail as MailHog's API shows it (github.com/mailhog/data, Message). */
export interface MailHogMessage {
  ID: string;
  From: Path;
  To: Path[];
  Content: MimePart;
  Created: string;
  MIME: { Parts: MimePart[] } | null;
  Raw: { From: string; To: string[]; Data: string; Helo: string };
}

export interface MailHogStore {
  /** `transport` with every mail it sent kept here as well. */
  recording(transport: MailTransport): MailTransport;
  /** Newest first, as MailHog lists them. */
  messages(): readonly MailHogMessage[];
  clear(): void;
  remove(id: string): void;
}

export function createMailHogStore(): MailHogStore {
  const kept: MailHogMessage[] = [];
  // nodemailer renders the mail once more, to a buffer, so the raw message is there with SMTP too; loaded with the first
  // mail, as the transports do (core/mail/transport.ts).
  let render: Promise<(mail: OutgoingMail) => Promise<string>> | null = null;
  const renderer = () =>
    (render ??= import("nodemailer").then((module) => {
      const stream = module.default.createTransport({ streamTransport: true, buffer: true, newline: "windows" });
      return async (mail: OutgoingMail) => ((await stream.sendMail(mail)).message as Buffer).toString("utf8");
    }));
  return {
    recording(transport) {
      return {
        async send(mail) {
          const delivery = await transport.send(mail);
          try {
            kept.push(messageOf(mail, await (await renderer())(mail)));
            if (kept.length > MAX_KEPT) kept.splice(0, kept.length - MAX_KEPT);
          } catch {
            // The mail went: a copy that could not be kept must not make the worker send it again.
          }
          return delivery;
        },
        close: () => transport.close(),
      };
    },
    messages: () => [...kept].reverse(),
    clear: () => void kept.splice(0),
    remove(id) {
      const at = kept.findIndex((message) => message.ID === id);
      if (at >= 0) kept.splice(at, 1);
    },
  };
}

function pathOf(address: string): Path {
  const at = address.lastIndexOf("@");
  return { Relays: null, Mailbox: at < 0 ? address : address.slice(0, at), Domain: at < 0 ? "" : address.slice(at + 1), Params: "" };
}

/** The bare address of `Name <a@b>` or `a@b`. */
function bareAddress(value: string): string {
  return /<([^>]*)>/.exec(value)?.[1]?.trim() ?? value.trim();
}

function messageOf(mail: OutgoingMail, raw: string): MailHogMessage {
  const content = partOf(raw);
  const to = mail.to.split(",").map(bareAddress).filter((address) => address !== "");
  const from = bareAddress(mail.from);
  return {
    ID: `${randomUUID()}@latchkey`,
    From: pathOf(from),
    To: to.map(pathOf),
    Content: { ...content, MIME: null },
    Created: new Date().toISOString(),
    MIME: content.MIME,
    Raw: { From: from, To: to, Data: raw, Helo: "latchkey" },
  };
}

/** Headers (names as written, values unfolded, repeated ones in order) and the body, as MailHog splits them. */
function partOf(text: string): MimePart {
  const split = text.indexOf("\r\n\r\n");
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? "" : text.slice(split + 4);
  const headers: Record<string, string[]> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    (headers[line.slice(0, colon).trim()] ??= []).push(line.slice(colon + 1).trim());
  }
  const boundary = /boundary="?([^";]+)"?/i.exec(headers["Content-Type"]?.[0] ?? "")?.[1];
  const parts = boundary
    ? body
        .split(`--${boundary}`)
        .slice(1, -1)
        .map((part) => partOf(part.replace(/^\r\n/, "").replace(/\r\n$/, "")))
    : null;
  return { Headers: headers, Body: body, Size: Buffer.byteLength(body), MIME: parts ? { Parts: parts } : null };
}

/** Mails whose `kind` (to, from, containing) matches `query`, as MailHog's search finds them (case-insensitive). */
function matches(message: MailHogMessage, kind: string, query: string): boolean {
  const wanted = query.toLowerCase();
  const addresses = (paths: Path[]) => paths.some((path) => `${path.Mailbox}@${path.Domain}`.toLowerCase().includes(wanted));
  const headerValues = (name: string) => (message.Content.Headers[name] ?? []).some((value) => value.toLowerCase().includes(wanted));
  if (kind === "to") return addresses(message.To) || headerValues("To");
  if (kind === "from") return addresses([message.From]) || headerValues("From");
  return message.Raw.Data.toLowerCase().includes(wanted);
}

function page(messages: readonly MailHogMessage[], url: URL): Response {
  const start = Math.max(0, Number.parseInt(url.searchParams.get("start") ?? "0", 10) || 0);
  const limit = Math.max(1, Number.parseInt(url.searchParams.get("limit") ?? `${DEFAULT_LIMIT}`, 10) || DEFAULT_LIMIT);
  const items = messages.slice(start, start + limit);
  return Response.json({ total: messages.length, count: items.length, start, items });
}

const problem = (status: number, message: string) => new Response(`${message}\n`, { status, headers: { "content-type": "text/plain" } });

/** Answers MailHog's read API: v2 list and search; v1 list, get, delete one and delete all. */
export function mailHogHandler(store: MailHogStore): (request: Request) => Response {
  return (request) => {
    const url = new URL(request.url);
    const method = request.method;
    const path = url.pathname.replace(/\/+$/, "");
    if (path === "/api/v2/messages" && method === "GET") return page(store.messages(), url);
    if (path === "/api/v2/search" && method === "GET") {
      const kind = (url.searchParams.get("kind") ?? "").toLowerCase();
      const query = url.searchParams.get("query") ?? "";
      if (!["to", "from", "containing"].includes(kind)) return problem(400, 'kind: expected "to", "from" or "containing"');
      return page(store.messages().filter((message) => matches(message, kind, query)), url);
    }
    if (path === "/api/v1/messages" && method === "GET") return Response.json(store.messages());
    if (path === "/api/v1/messages" && method === "DELETE") {
      store.clear();
      return new Response(null, { status: 200 });
    }
    const one = /^\/api\/v1\/messages\/([^/]+)$/.exec(path);
    if (one && (method === "GET" || method === "DELETE")) {
      const found = store.messages().find((message) => message.ID === decodeURIComponent(one[1]!));
      if (!found) return problem(404, "no such message");
      if (method === "GET") return Response.json(found);
      store.remove(found.ID);
      return new Response(null, { status: 200 });
    }
    if (path.startsWith("/api/")) return problem(405, `${method} ${path}: not part of the MailHog API latchkey serves`);
    return problem(404, "latchkey's MailHog API: GET /api/v2/messages, GET /api/v2/search, DELETE /api/v1/messages");
  };
}

/** Only on the loopback address: the mails hold links and tickets that grant access. */
export const MAILHOG_API_HOST = "127.0.0.1";

/** Starts the API on 127.0.0.1:`port`; stop() closes it. A port already taken is a ConfigError naming the setting. */
export function serveMailHogApi(store: MailHogStore, port: number): { url: string; stop(): void } {
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({ hostname: MAILHOG_API_HOST, port, reusePort: false, fetch: mailHogHandler(store) });
  } catch (error) {
    if ((error as { code?: unknown }).code === "EADDRINUSE") {
      throw new ConfigError([`MAILHOG_API_PORT: ${MAILHOG_API_HOST}:${port} is already in use: stop what listens there, or choose another port`]);
    }
    throw error;
  }
  return { url: `http://${MAILHOG_API_HOST}:${server.port}`, stop: () => void server.stop(true) };
}
