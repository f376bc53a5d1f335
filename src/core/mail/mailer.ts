// The mailer: one method per kind of mail, over a transport. A failed delivery is logged and reported to
// the caller, which decides whether the action still stands.
import type { Config } from "../../config.ts";
import type { Logger } from "../logger.ts";
import { loadTemplates, render, type TemplateName } from "./templates.ts";
import type { MailTransport } from "./transport.ts";

export interface Mailer {
  sendActivation(input: { to: string; link: string; ticket: string }): Promise<void>;
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
    sendActivation: ({ to, link, ticket }) => deliver("activate-account", to, { link }, { "x-ticket": ticket }),
    close: () => transport.close(),
  };
}
