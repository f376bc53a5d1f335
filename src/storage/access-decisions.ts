// How storage decides whether a caller may do an operation on a path: the access rules (STORAGE_RULES) and the admin
// secret. Storage's reads and writes share one of these, so a secret is judged once per request whatever asks.
//
// Access: a matching rule that is truthy allows; a matching rule that is not denies (forbidden, 403); no matching
// rule is no_rule (404, as if the route did not exist). The admin secret (only when ADMIN_SECRET is set, decision 6)
// allows whatever a rule covers. A file that does not exist is judged with `resource` undefined first, so a caller
// who may not read a path cannot learn whether a file is there (403 either way).
import { constantTimeEqual } from "../lib/secrets.ts";
import type { Access, Caller } from "./access.ts";
import { StorageError } from "./errors.ts";
import type { Value } from "./rules/expression.ts";
import type { Decision, Operation, RuleRequest } from "./rules/rules.ts";
import type { StorageDeps } from "./storage-deps.ts";

export interface AccessDecisions {
  /** Whether the caller presented the right admin secret (reported as a security event, once per caller). */
  isAdmin(caller: Caller): boolean;
  /** What the rules see of a request on `path`; `auth` in place of the caller's when given. */
  ruleRequest(path: string, access: Access, auth?: Caller["auth"]): RuleRequest;
  /** Throws unless allowed; returns the decision ("allow" or, with resourcePending, "pending"). */
  authorize(operation: Operation, path: string, access: Access, resource: Value, options?: { resourcePending?: boolean }): Decision;
}

export function createAccessDecisions(deps: Pick<StorageDeps, "rules" | "events" | "config">): AccessDecisions {
  const { rules, events, config } = deps;

  // A presented secret is judged once per request (a listing asks for every file): one security event each.
  const adminVerdicts = new WeakMap<Caller, boolean>();

  function isAdmin(caller: Caller): boolean {
    if (caller.adminSecret === null) return false;
    const known = adminVerdicts.get(caller);
    if (known !== undefined) return known;
    // Constant-time compare: the secret must not leak through response timing.
    const verdict = config.adminSecret !== null && constantTimeEqual(caller.adminSecret, config.adminSecret);
    adminVerdicts.set(caller, verdict);
    events.record(verdict ? "admin_secret_used" : "admin_secret_failed", { ip: caller.ip });
    return verdict;
  }

  function ruleRequest(path: string, access: Access, auth: Caller["auth"] = access.caller.auth): RuleRequest {
    return { path: `/${path}`, method: access.method, query: access.query, auth: auth ?? undefined };
  }

  function authorize(operation: Operation, path: string, access: Access, resource: Value, options?: { resourcePending?: boolean }): Decision {
    const decision = rules.decide(operation, ruleRequest(path, access), resource, options);
    if (decision === "no_rule") throw new StorageError("no_rule");
    if (decision === "allow" || decision === "pending") return decision;
    if (isAdmin(access.caller)) return "allow";
    throw new StorageError("forbidden");
  }

  return { isAdmin, ruleRequest, authorize };
}
