// The caller gate: every authenticated request of every dialect, storage included, asks it whether the account its
// credential names is live. A credential outlives the account's state: a signed access token stays valid until it
// expires (JWT_EXPIRES_IN, lncrawl's 7 days), whatever happened to the account meanwhile. So the signature proves who
// the caller was, and the gate, reading the account as it is now, decides whether that caller still gets anything.
//
// One indexed read per request (the user's row by primary key, compiled once: users.findById), which is also the
// row the dialect then uses, so a request never reads its caller twice; a request that needs nothing of the row (its
// JWT's claims say who the caller is: storage, HBP's permission variables) reads only the account's state
// (`refusal`); one that uses no roles (lncrawl) the row without them (`admitAccount`); a refresh reads its owner in
// the rotation's own statement and hands the row to the gate (`admitRow`), and a storage read of a file its caller's
// state with the file's row (`refusalOfState`). No cache: a ban or a deletion (CLI, Faroe,
// HBP, on any instance sharing the database) is seen by the very next request everywhere.
import { CoreError } from "../errors.ts";
import type { Account, SessionUser, User, Users } from "./users.ts";

/** What the gate's rule reads of an account. */
type AccountState = Pick<Account, "active" | "disabled">;

/** Why a credential's account gets nothing: it was deleted, banned (`latchkey user disable`), or never activated. */
export type Refusal = "deleted" | "disabled" | "inactive";

export type Admission<Admitted extends AccountState = User> = { user: Admitted; refusal: null } | { user: null; refusal: Refusal };

export interface CallerGate {
  /** The account `userId` names (a JWT's subject or Hasura user-id, a session's user), if it is live. */
  admit(userId: string): Promise<Admission>;
  /** admit() reading the account without its roles, for a dialect whose answers use none (lncrawl). */
  admitAccount(userId: string): Promise<Admission<Account>>;
  /** Why the account `userId` names gets nothing, or null when it is live: admit() without the account's row. */
  refusal(userId: string): Promise<Refusal | null>;
  /**
   * admit() on an account row read by the caller's own statement, at the time of that statement (null: no such
   * account): a refresh reads its session's owner in the rotation itself (core/sessions/sessions.ts).
   */
  admitRow(user: SessionUser | null): Admission<SessionUser>;
  /**
   * refusal() on an account's state read by the caller's own statement (null: no such account): a storage read
   * reads its caller's state with the file's row (db/repositories/files.ts), in one statement.
   */
  refusalOfState(state: AccountState | null): Refusal | null;
}

/** The state rule itself: what an account row (or its absence) makes of any credential naming it. */
export function refusalOf(user: AccountState | null): Refusal | null {
  if (user === null) return "deleted";
  if (user.disabled) return "disabled";
  if (!user.active) return "inactive";
  return null;
}

/** A refusal as core's error, which each dialect answers in its own way. */
export function refusalError(refusal: Refusal): CoreError {
  if (refusal === "disabled") return new CoreError("account_disabled");
  if (refusal === "inactive") return new CoreError("account_inactive");
  return new CoreError("user_not_found");
}

/** The admitted user, or the refusal thrown as core's error (for dialects that answer a ban unlike an unknown user). */
export function admittedUser<Admitted extends AccountState>(admission: Admission<Admitted>): Admitted {
  if (admission.refusal !== null) throw refusalError(admission.refusal);
  return admission.user;
}

function admission<Admitted extends AccountState>(account: Admitted | null): Admission<Admitted> {
  const refusal = refusalOf(account);
  return refusal === null ? { user: account!, refusal } : { user: null, refusal };
}

export function createCallerGate(deps: { users: Pick<Users, "findById" | "findAccountById" | "findStateById"> }): CallerGate {
  const { users } = deps;
  return {
    async admit(userId) {
      return admission(await users.findById(userId));
    },
    async admitAccount(userId) {
      return admission(await users.findAccountById(userId));
    },
    admitRow: admission,
    refusalOfState: refusalOf,
    async refusal(userId) {
      return refusalOf(await users.findStateById(userId));
    },
  };
}
