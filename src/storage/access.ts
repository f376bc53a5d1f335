// What storage's access rules see of a request besides the path: the caller (its permission variables, the admin
// secret it presented) with the method and query, and a signed-in caller whose account is yet to pass the caller
// gate. The dialect (src/apis/hbp/storage/request.ts) builds them; storage's reads and writes take them.
import type { AccountState } from "../db/repositories/users.ts";
import type { RuleAuth } from "./rules/rules.ts";

export interface Caller {
  /** Permission variables of a signed-in caller; null for anonymous. */
  auth: RuleAuth | null;
  /** The x-admin-secret the caller presented, if any. */
  adminSecret: string | null;
  /** The client's address, for the security log when an admin secret is presented. */
  ip?: string | null;
}

/**
 * A signed-in caller whose account has yet to pass the caller gate (a credential outlives a ban or a deletion): a
 * read of one file reads the account's state with the file's row, in one statement, and the caller is anonymous to
 * the rules unless `admits` finds that account live. Checked on every such read, never cached.
 */
export interface UncheckedAuth {
  /** The account the credential names. */
  accountId: string;
  /** The credential's permission variables, what the rules see once the account is admitted. */
  auth: RuleAuth;
  /** The caller gate's rule on the account's state as read (null: no such account). */
  admits(state: AccountState | null): boolean;
}

/** What the rules see of a request besides the path. */
export interface Access {
  caller: Caller;
  method: string;
  query: Record<string, string>;
}
