// Reading a storage request: its storage path (from the raw URL, decoded once by parseStoragePath), its query,
// and the caller (permission variables as for /auth, through the same caller gate: a token of a deleted, disabled or
// inactive account counts as none, as a bad JWT does; plus any x-admin-secret). A read of one file's metadata hands
// storage the credential unchecked instead: storage reads the account's state with the file's row, in one statement,
// and applies the same gate's rule to it (`unchecked`).
import { boundedMemo } from "../../../lib/bounded-memo.ts";
import { parseStoragePath, type StoragePath } from "../../../storage/paths.ts";
import type { Access, UncheckedAuth } from "../../../storage/access.ts";
import { carriesCredential, permissionVariables, uncheckedCredential } from "../request-auth.ts";
import type { PermissionVariables } from "../../../core/sessions/access-tokens.ts";
import type { HbpStorageContext } from "./context.ts";

export interface StorageRequest {
  path: StoragePath;
  /** The URL's query after `?`, still percent-encoded; "" for none. */
  search: string;
  access: Access;
  /**
   * A read of one file's metadata (GET /storage/m/<key>): the credential, whose account passes the caller gate in
   * storage's read, its state read with the file's row; `access.caller.auth` is null until then. Null otherwise
   * (anonymous, or any other request: `access.caller.auth` has passed the gate already).
   */
  unchecked: UncheckedAuth | null;
}

/**
 * The path and the query of a request's URL. Request.url is a URL as WHATWG serialises it (Bun parsed the request
 * line into it), so its path ends at the first `?` or `#` and its query at the `#`, as `new URL(url)` would split
 * it again, without making the URL object (a share of a small read).
 */
function pathAndQuery(url: string): { pathname: string; search: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return { pathname: "/", search: "" };
  const hash = url.indexOf("#", start);
  const end = hash < 0 ? url.length : hash;
  const question = url.indexOf("?", start);
  return question < 0 || question > end
    ? { pathname: url.slice(start, end), search: "" }
    : { pathname: url.slice(start, question), search: url.slice(question + 1, end) };
}

/** A credential whose account's state storage reads with the file's row, and the caller gate's rule on that state. */
function uncheckedAuth(ctx: HbpStorageContext, credential: { userId: string; variables: PermissionVariables } | null): UncheckedAuth | null {
  if (credential === null) return null;
  const gate = ctx.core.callerGate;
  return { accountId: credential.userId, auth: credential.variables, admits: (state) => gate.refusalOfState(state) === null };
}

const NO_QUERY: Readonly<Record<string, string>> = Object.freeze(Object.create(null));

/**
 * The query as the rules see it (`request.query`): the first value of each name, without a prototype (a parameter
 * named __proto__ is just a parameter), frozen, and remembered by the query's text: a page's images repeat the same
 * few queries, and nothing in a rule can change a value (rules.ts), so one object serves every request that sends it.
 */
const queriesBySearch = boundedMemo<Readonly<Record<string, string>>>({ size: 1000, maxKeyLength: 512 });

function parseQuery(search: string): Readonly<Record<string, string>> {
  const query: Record<string, string> = Object.create(null);
  for (const [name, value] of new URLSearchParams(search)) if (!Object.hasOwn(query, name)) query[name] = value;
  return Object.freeze(query);
}

/** `area` is "o" (objects) or "m" (metadata): the path is what follows `/storage/<area>/`, still percent-encoded. */
export async function readStorageRequest(ctx: HbpStorageContext, request: Request, area: "o" | "m"): Promise<StorageRequest> {
  const { pathname, search } = pathAndQuery(request.url);
  const prefix = `/storage/${area}/`;
  const path = parseStoragePath(pathname.startsWith(prefix) ? pathname.slice(prefix.length) : "");
  // Without a credential (a public download) the caller is anonymous, as permissionVariables would find after its
  // chain of awaits.
  const headers = request.headers;
  const checkedWithTheFile = area === "m" && request.method === "GET" && !path.isFolder;
  let auth = null;
  let unchecked: UncheckedAuth | null = null;
  if (carriesCredential(headers)) {
    if (checkedWithTheFile) unchecked = uncheckedAuth(ctx, await uncheckedCredential(ctx, headers));
    else auth = await permissionVariables(ctx, headers);
  }
  const adminSecret = request.headers.get("x-admin-secret");
  return {
    path,
    search,
    unchecked,
    access: {
      // The client's address only where the security log may need it (working it out is ~5% of a read).
      caller: { auth, adminSecret, ip: adminSecret === null ? null : ctx.clientOf(request).ip },
      method: request.method,
      query: search === "" ? NO_QUERY : queriesBySearch(search, parseQuery),
    },
  };
}
