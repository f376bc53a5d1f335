// Security events: one log line each, in one fixed shape that fail2ban or CrowdSec can match (README "Security
// events" has a fail2ban filter, and test/security-events.test.ts runs it against a real server's output):
//   <time> WARN security event=<name> ip=<client IP or -> account=<account or -> [reason=<code>] request_id=<id>
// (request_id added by the logger: the id of the request that caused it, src/lib/request-context.ts).
// The client IP comes right after the event name, before the account, which is whatever name an attacker typed:
// a filter anchored on `security event=... ip=<HOST>` cannot be steered by a crafted name. Values outside printable
// ASCII are quoted and escaped, so a name cannot forge a second line either. Never a password, code or secret:
// only what was tried against which account, and from where.
import type { Logger } from "../lib/logger.ts";

export type SecurityEventName =
  /** A wrong password, ticket, code or TOTP (`reason` says which check refused it). */
  | "sign_in_failed"
  /** A try refused by the guess limits (429 with Retry-After). */
  | "locked_out"
  /** The right secret for an account that is disabled. */
  | "disabled_account"
  /** The admin secret granted access (HBP impersonation, storage). */
  | "admin_secret_used"
  | "admin_secret_failed"
  /** A sign-in or link through a provider failed (`reason`: the code the failure redirect carries). */
  | "provider_sign_in_failed"
  /** A provider identity was linked to an account (`reason`: `provider:<name>`). */
  | "provider_linked"
  /** One was unlinked. */
  | "provider_unlinked";

/** Events that are a record, not an alarm: written at INFO, so a ban tool counting WARN lines never counts them. */
const RECORDS: ReadonlySet<SecurityEventName> = new Set(["admin_secret_used", "provider_linked", "provider_unlinked"]);

export interface SecurityEventFacts {
  ip?: string | null;
  /** e.g. `email:a@b.c`, `user:<id>`; absent when the guess names no account (a ticket). */
  account?: string | null;
  /** A stable code (core's error code), never anything the client sent. */
  reason?: string;
}

export interface SecurityEvents {
  /** Writes the event as one log line in the fixed shape above: WARN for a failure, INFO for a granted admin secret. */
  record(event: SecurityEventName, facts: SecurityEventFacts): void;
}

/** A value as one token: `-` when absent, as it is when plain printable ASCII, else a JSON string with non-ASCII escaped. */
function token(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "-";
  if (/^[\x21-\x7e]+$/.test(value) && !value.startsWith('"')) return value;
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function createSecurityEvents(logger: Logger): SecurityEvents {
  return {
    record(event, facts) {
      let line = `security event=${event} ip=${token(facts.ip)} account=${token(facts.account)}`;
      if (facts.reason) line += ` reason=${token(facts.reason)}`;
      // A granted admin secret or a link is worth a record, not an alarm; every other event is a failure a ban can count.
      if (RECORDS.has(event)) logger.info(line);
      else logger.warn(line);
    },
  };
}
