// Mails latchkey wrote to <data dir>/outbox/ (no SMTP_HOST). They are sent by a background worker, shortly after
// the answer that queued them: wait for them by polling the folder.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "./eventually.ts";
import { parseMail, type ReceivedMail } from "./smtp.ts";

export interface OutboxMail extends ReceivedMail {
  /** The .eml file's path. */
  file: string;
}

/** Each file is handed out once, so two mails to one address are told apart. */
const taken = new Set<string>();

/** Waits up to 10 s for a mail to `to` in `dataDir`'s outbox that no earlier call returned. */
export function waitForOutboxMail(dataDir: string, to: string): Promise<OutboxMail> {
  const folder = join(dataDir, "outbox");
  const nextMail = (): OutboxMail | undefined => {
    const names = existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith(".eml")).sort() : [];
    for (const name of names) {
      const file = join(folder, name);
      if (taken.has(file)) continue;
      const mail = parseMail(readFileSync(file, "utf8"), [to]);
      if (mail.headers.get("to")?.toLowerCase().includes(to.toLowerCase())) {
        taken.add(file);
        return { ...mail, file };
      }
    }
  };
  return eventually(nextMail, { what: `a mail to ${to} in ${folder}` });
}
