// What a queued mail holds, and how the worker turns it into a mail. A route that mails stores only the intent (the
// template, the address asked for, data that grants nothing) in one insert, whatever the address: it then does the
// same work for an address with an account as for one without, so its answer time tells nobody which addresses have
// accounts. The worker resolves the account, decides whether it gets the mail, and mints the ticket or code as it
// sends: a queued row holds no usable link or code, and a ticket exists only for a mail that went out.
import type { TemplateName } from "./templates.ts";

/** How a mailed link is made from the ticket the worker mints: `prefix` followed by the ticket. */
export interface TicketLink {
  prefix: string;
  ttlSeconds: number;
  /** null: a uuid v4 (HBP's tickets); a number: that many random bytes as base64url (a dialect's own tokens). */
  tokenBytes: number | null;
}

interface IntentData {
  "activate-account": { link: TicketLink };
  "magic-link-register": Record<string, never>;
  "lost-password": { link: TicketLink };
  "magic-link-log-in": Record<string, never>;
  /** To the new address; the account asking for it. */
  "change-email": { userId: string };
  /** To the old address, after a change. */
  "email-changed": { newEmail: string };
  /** The ticket the caller holds, as its SHA-256 (as challenges keep it): the code is minted when sent. */
  "email-otp": { ticketDigest: string };
}

/** Each template's intent data; a template without one here fails to compile. */
export type MailIntents = { [K in TemplateName]: IntentData[K] };

/** A mail ready to render: its template's variables and extra headers. */
export interface MailContent {
  to: string;
  variables: Record<string, string>;
  headers?: Record<string, string>;
}

/**
 * Turns an intent into the mail to send, minting what it needs; null when there is nothing to send (no such
 * account, or one that must not get this mail). Run by the worker, never by a route.
 */
export type Composer<K extends TemplateName> = (to: string, data: MailIntents[K]) => Promise<MailContent | null>;

export type Composers = { [K in TemplateName]: Composer<K> };

/** `url` with `parameter=` appended, ready for a ticket: `https://app/reset?lang=en&token=`. */
export function linkPrefix(url: string, parameter = "ticket"): string {
  return `${url}${url.includes("?") ? "&" : "?"}${parameter}=`;
}

/** The lifetime and format challenges.issueTicket takes for a link's ticket. */
export function ticketOptions(link: TicketLink): { ttlSeconds: number; tokenBytes: number | null } {
  return { ttlSeconds: link.ttlSeconds, tokenBytes: link.tokenBytes };
}

/** The variables and header of a mail that carries a ticket (`x-ticket`, or `x-token` for magic links, as HBP names them). */
export function ticketMail(to: string, link: string, ticket: string, header: "x-ticket" | "x-token" = "x-ticket"): MailContent {
  return { to, variables: { link, ticket }, headers: { [header]: ticket } };
}
