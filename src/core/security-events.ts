// Security events: one log line each, in one fixed shape that fail2ban or CrowdSec can match (README "Security
// events" has a fail2ban filter, and test/security-events.test.ts runs it against a real server's output):
//   <time> WARN security event=<name> ip=<client IP or -> account=<account or -> [reason=<code>] request_id=<id>
// (request_id added by the logger: the id of the request that caused it, src/lib/request-context.ts).
// The client IP comes right after the event name, before the account, which is whatever name an attacker typed:
// a filter anchored on `security event=... ip=<HOST>` cannot be steered by a crafted name. Values outside printable
// ASCII are quoted and escaped, so a name cannot forge a second line either. Never a password, code or secret:
// only what was tried against which account, and from where.
//
// Each event is also kept as a row (security_events) for the admin console, written after the line and without
// holding up the request: a database that cannot take it costs the row (an error line says so), never the answer.
// Housekeeping deletes rows older than SECURITY_EVENTS_KEEP_DAYS.
import type { SecurityEventsRepository } from "../db/repositories/security-events.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import type { Random } from "../lib/random.ts";

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
  /** A passkey was added to the account, or removed from it (by its owner or the operator). */
  | "passkey_added"
  | "passkey_removed"
  /**
   * A passkey signed correctly but its counter did not move forward: a copy of the authenticator may be in use
   * (the sign-in is refused; the account's owner should look at their passkeys).
   */
  | "passkey_clone_suspected"
  /** A sign-in or link through a provider failed (`reason`: the code the failure redirect carries). */
  | "provider_sign_in_failed"
  /** A provider identity was linked to an account (`reason`: `provider:<name>`). */
  | "provider_linked"
  /** One was unlinked. */
  | "provider_unlinked";

/** Events that record something granted or changed, not a failure: written at INFO, never matched by a ban. */
const RECORDS: ReadonlySet<SecurityEventName> = new Set(["admin_secret_used", "passkey_added", "passkey_removed", "provider_linked", "provider_unlinked"]);

export interface SecurityEventFacts {
  ip?: string | null;
  /** e.g. `email:a@b.c`, `user:<id>`; absent when the guess names no account (a ticket). */
  account?: string | null;
  /** A stable code (core's error code), never anything the client sent. */
  reason?: string;
}

export interface SecurityEvents {
  /**
   * Writes the event as one log line in the fixed shape above (WARN for a failure, INFO for a granted admin secret),
   * and starts storing its row.
   */
  record(event: SecurityEventName, facts: SecurityEventFacts): void;
  /** Resolves once every row started so far is stored (or failed): before the database closes. */
  settled(): Promise<void>;
}

/** Where events are kept beside the log. */
export interface SecurityEventStore {
  events: Pick<SecurityEventsRepository, "insert">;
  clock: Clock;
  random: Random;
}

/** Longer values are cut in the row (the log line keeps them whole): an account is an address of at most 254 characters. */
const MAX_STORED_LENGTH = 320;

/** A value as one token: `-` when absent, as it is when plain printable ASCII, else a JSON string with non-ASCII escaped. */
function token(value: string | null | undefined): string {
  if (value === null || value === undefined || value === "") return "-";
  if (/^[\x21-\x7e]+$/.test(value) && !value.startsWith('"')) return value;
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const cut = (value: string | null | undefined): string | null => (value ? value.slice(0, MAX_STORED_LENGTH) : null);

/** `store`: where rows go; without one (a test's bare logger), only the lines are written. */
export function createSecurityEvents(logger: Logger, store?: SecurityEventStore): SecurityEvents {
  const pending = new Set<Promise<void>>();
  return {
    record(event, facts) {
      let line = `security event=${event} ip=${token(facts.ip)} account=${token(facts.account)}`;
      if (facts.reason) line += ` reason=${token(facts.reason)}`;
      // A granted admin secret, a passkey change or a provider link is worth a record, not an alarm; every other event
      // is a failure a ban can count.
      if (RECORDS.has(event)) logger.info(line);
      else logger.warn(line);
      if (!store) return;
      const row = { id: store.random.uuid(), at: store.clock.now(), event, ip: cut(facts.ip), account: cut(facts.account), reason: cut(facts.reason) };
      const writing = store.events.insert(row).catch((error: unknown) => logger.error("security event not stored", { event, error }));
      pending.add(writing);
      void writing.finally(() => pending.delete(writing));
    },

    async settled() {
      await Promise.all([...pending]);
    },
  };
}
