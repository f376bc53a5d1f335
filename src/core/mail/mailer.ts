// The mailer: one method per kind of mail, over a transport. A failed delivery is logged and reported to
// the caller, which decides whether the action still stands.
import type { Config } from "../../config.ts";
import type { Logger } from "../logger.ts";
import { loadTemplates, render, type TemplateName } from "./templates.ts";
import type { MailTransport } from "./transport.ts";

export interface TicketMail {
  to: string;
  link: string;
  ticket: string;
}

export interface Mailer {
  sendActivation(input: TicketMail): Promise<void>;
  sendPasswordReset(input: TicketMail): Promise<void>;
  /** To the new address, to prove the user holds it. */
  sendEmailChange(input: TicketMail): Promise<void>;
  /** To the old address, after the change (NOTIFY_EMAIL_CHANGE). */
  sendEmailChanged(input: { to: string; newEmail: string }): Promise<void>;
  sendMagicLink(input: TicketMail & { action: "log-in" | "register" }): Promise<void>;
  sendEmailOtp(input: { to: string; code: string }): Promise<void>;
  close(): void;
}

export function createMailer(deps: { config: Config["mail"]; transport: MailTransport; logger: Logger }): Mailer {
  const { config, transport, logger } = deps;
  const templates = loadTemplates(config.templatesDir);

  async function deliver(
    name: TemplateName,
    to: string,
    variables: Record<string, string>,
    headers: Record<string, string>,
  ): Promise<void> {
    const mail = render(templates[name], { email: to, ...variables });
    const where = await transport.send({ from: config.sender, to, ...mail, headers });
    // The link is logged so a server without SMTP is still usable; it is a bearer credential, so only at info
    // level on the operator's own console.
    logger.info("mail sent", { template: name, to, via: where, link: variables.link });
  }

  return {
    sendActivation: ({ to, link, ticket }) => deliver("activate-account", to, { link, ticket }, { "x-ticket": ticket }),
    sendPasswordReset: ({ to, link, ticket }) => deliver("lost-password", to, { link, ticket }, { "x-ticket": ticket }),
    sendEmailChange: ({ to, link, ticket }) => deliver("change-email", to, { link, ticket }, { "x-ticket": ticket }),
    sendEmailChanged: ({ to, newEmail }) => deliver("email-changed", to, { new_email: newEmail }, {}),
    sendMagicLink: ({ to, link, ticket, action }) =>
      deliver(action === "register" ? "magic-link-register" : "magic-link-log-in", to, { link, ticket }, { "x-token": ticket }),
    sendEmailOtp: ({ to, code }) => deliver("email-otp", to, { code }, {}),
    close: () => transport.close(),
  };
}
