// Who is calling: HBP's permission variables from a Bearer JWT, or from the `permission_variables` cookie.
// As in HBP the cookie wins over the header. Unlike HBP, latchkey honours that cookie only when it is signed
// by this server *and* arrives with a live `refresh_token` cookie of the same user, so signing out (or
// reuse detection) ends cookie access at once instead of 30 days later.
// Either way the account it names passes the caller gate (core/accounts/caller-gate.ts) on every request, /storage included:
// a JWT outlives a ban or a deletion by up to JWT_EXPIRES_IN, and nothing may be served to it meanwhile.
import type { HasuraClaims, PermissionVariables } from "../../core/sessions/access-tokens.ts";
import { toPermissionVariables } from "../../core/sessions/access-tokens.ts";
import type { User } from "../../core/accounts/users.ts";
import { PERMISSIONS_COOKIE, REFRESH_COOKIE } from "./cookies.ts";
import type { HbpContext } from "./context.ts";
import { HbpError } from "./errors.ts";

interface Credential {
  variables: PermissionVariables;
  /** The session the request comes from (the JWT's `sid`, or the refresh cookie's), when known. */
  sessionId: string | null;
}

export interface Caller extends Credential {
  /** The caller's account as it is now, admitted by the caller gate. */
  user: User;
}

async function fromCookies(ctx: HbpContext, headers: Headers): Promise<Credential | null> {
  const cookieHeader = headers.get("cookie");
  if (cookieHeader === null) return null; // no cookie to read (an API client, a public download): nothing parsed
  const raw = ctx.cookies.read(cookieHeader, PERMISSIONS_COOKIE);
  const refreshToken = ctx.cookies.read(cookieHeader, REFRESH_COOKIE);
  if (raw === null || refreshToken === null) return null;
  let variables: unknown;
  try {
    variables = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof variables !== "object" || variables === null) return null;
  const userId = (variables as PermissionVariables)["user-id"];
  const session = await ctx.core.sessions.live(refreshToken);
  if (typeof userId !== "string" || session?.userId !== userId) return null;
  return { variables: variables as PermissionVariables, sessionId: session.familyId };
}

/**
 * The variables of a verified token's claims, by the claims: those are frozen and handed out again on every use of
 * the token (core/sessions/jwt.ts keeps checked tokens), so each token's variables are made once, not per request.
 */
const variablesOfFrozenClaims = new WeakMap<HasuraClaims, PermissionVariables>();

function variablesOf(claims: HasuraClaims): PermissionVariables {
  const known = variablesOfFrozenClaims.get(claims);
  if (known !== undefined) return known;
  const variables = toPermissionVariables(claims);
  if (Object.isFrozen(claims)) variablesOfFrozenClaims.set(claims, Object.freeze(variables));
  return variables;
}

async function fromBearer(ctx: HbpContext, headers: Headers): Promise<Credential | null> {
  const authorization = headers.get("authorization");
  if (!authorization?.startsWith("Bearer ")) return null;
  const verified = await ctx.core.accessTokens.verify(authorization.slice("Bearer ".length).trim());
  return verified ? { variables: variablesOf(verified.claims), sessionId: verified.sessionId } : null;
}

/**
 * The caller; null for an anonymous one. A bad or expired JWT counts as none, and so does a credential of an account
 * the caller gate refuses (deleted, disabled, not active).
 */
export async function caller(ctx: HbpContext, headers: Headers): Promise<Caller | null> {
  const credential = await credentialOf(ctx, headers);
  const userId = credential?.variables["user-id"];
  if (!credential || typeof userId !== "string") return null;
  const { user } = await ctx.core.callerGate.admit(userId);
  return user === null ? null : { ...credential, user };
}

/** Whether a request carries anything credentialOf reads (a cookie, an Authorization header); without, it is anonymous. */
export function carriesCredential(headers: Headers): boolean {
  return headers.has("authorization") || headers.has("cookie");
}

/** The cookie's credential, else the Bearer JWT's; null for none (or a bad one). */
async function credentialOf(ctx: HbpContext, headers: Headers): Promise<Credential | null> {
  // Without a cookie header there is nothing for fromCookies to read: not called (an async call less per request).
  return (headers.has("cookie") ? await fromCookies(ctx, headers) : null) ?? (await fromBearer(ctx, headers));
}

/**
 * The caller's permission variables; null for an anonymous caller (and, as caller() does, for a credential of an
 * account the caller gate refuses). The gate reads only the account's state here: the variables are the credential's.
 */
export async function permissionVariables(ctx: HbpContext, headers: Headers): Promise<PermissionVariables | null> {
  const credential = await credentialOf(ctx, headers);
  const userId = credential?.variables["user-id"];
  if (!credential || typeof userId !== "string") return null;
  return (await ctx.core.callerGate.refusal(userId)) === null ? credential.variables : null;
}

/**
 * The credential's account and permission variables WITHOUT the caller gate's check, for a read whose own statement
 * reads the account's state and applies `callerGate.refusalOfState` to it (storage's read of a file: the state comes
 * with the file's row). Null for an anonymous caller or a bad credential. Whoever takes this must apply the gate.
 */
export async function uncheckedCredential(ctx: HbpContext, headers: Headers): Promise<{ userId: string; variables: PermissionVariables } | null> {
  const credential = await credentialOf(ctx, headers);
  const userId = credential?.variables["user-id"];
  return credential && typeof userId === "string" ? { userId, variables: credential.variables } : null;
}

/** The signed-in caller (through the caller gate), or a 401 with the route's own message. guards.ts makes it a guard. */
export async function requireCaller(ctx: HbpContext, headers: Headers, message = "Not logged in"): Promise<Caller> {
  const found = await caller(ctx, headers);
  if (!found) throw new HbpError(401, message);
  return found;
}
