// Access tokens: short-lived JWTs carrying Hasura's claims (spec/hbp.md §4), signed and checked by core/sessions/jwt.ts.
import type { Config } from "../../config.ts";
import type { JwtSigner } from "./jwt.ts";
import type { SessionUser } from "../accounts/users.ts";

const HASURA_PREFIX = "x-hasura-";

/** Claims under the namespace, e.g. `x-hasura-user-id`; custom fields are strings (see encodeClaimValue). */
export type HasuraClaims = Record<string, string | string[]>;

/** The claims without the `x-hasura-` prefix (`user-id`, `default-role`, `allowed-roles`, ...). */
export type PermissionVariables = Record<string, string | string[]>;

export interface SignedAccessToken {
  token: string;
  expiresInMs: number;
  /** The Hasura claims it carries, for whoever also needs them beside the token (HBP's permission_variables cookie). */
  claims: HasuraClaims;
}

export interface VerifiedAccessToken {
  claims: HasuraClaims;
  /** The session (refresh-token family) the token was issued for; null for tokens from elsewhere. */
  sessionId: string | null;
}

/** HBP's access tokens: JWTs of a fixed lifetime carrying a user's Hasura claims under the configured namespace. */
export interface AccessTokens {
  /** How long a token lives (JWT_EXPIRES_IN). */
  readonly expiresInMs: number;
  /** `sessionId` becomes the `sid` claim, so a request can tell which session it comes from. */
  sign(user: SessionUser, options?: { sessionId?: string }): Promise<SignedAccessToken>;
  /** The claims of a valid, unexpired token; null for anything else (HBP treats it as anonymous). */
  verify(token: string): Promise<VerifiedAccessToken | null>;
}

/** `display_name` and `displayName` both become `display-name`, as lodash's kebabCase does in HBP. */
export function kebabCase(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/[_\s]+/g, "-")
    .toLowerCase();
}

/** HBP's encoding of custom claims: strings as they are, arrays as a Postgres array literal, the rest as JSON. */
export function encodeClaimValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `{${value.map((item) => JSON.stringify(String(item))).join(",")}}`;
  return JSON.stringify(value ?? null);
}

// What a claim may name of the account: db/repositories/users.ts's StoredSessionUser reads these columns for a refresh.
const USER_COLUMNS: Record<string, (user: SessionUser) => unknown> = {
  id: (user) => user.id,
  email: (user) => user.email,
  display_name: (user) => user.displayName,
  avatar_url: (user) => user.avatarUrl,
  default_role: (user) => user.defaultRole,
  is_anonymous: (user) => user.isAnonymous,
  created_at: (user) => new Date(user.createdAt).toISOString(),
};

/** A user column or, failing that, a custom registration field kept in metadata. */
export function userField(user: SessionUser, field: string): unknown {
  const column = USER_COLUMNS[field];
  return column ? column(user) : user.metadata[field];
}

export function hasuraClaims(user: SessionUser, customFields: readonly string[]): HasuraClaims {
  const allowedRoles = user.roles.includes(user.defaultRole) ? user.roles : [...user.roles, user.defaultRole];
  const claims: HasuraClaims = {
    "x-hasura-user-id": user.id,
    "x-hasura-default-role": user.defaultRole,
    "x-hasura-allowed-roles": allowedRoles,
  };
  for (const field of customFields) claims[`${HASURA_PREFIX}${kebabCase(field)}`] = encodeClaimValue(userField(user, field));
  return claims;
}

export function toPermissionVariables(claims: HasuraClaims): PermissionVariables {
  const variables: PermissionVariables = {};
  for (const [name, value] of Object.entries(claims)) {
    if (name.startsWith(HASURA_PREFIX)) variables[name.slice(HASURA_PREFIX.length)] = value;
  }
  return variables;
}

export function createAccessTokens(deps: { config: Config["jwt"]; jwt: JwtSigner }): AccessTokens {
  const { config, jwt } = deps;
  const lifetimeSeconds = config.expiresInMinutes * 60;

  return {
    expiresInMs: lifetimeSeconds * 1000,

    async sign(user, options = {}) {
      const sid = options.sessionId === undefined ? {} : { sid: options.sessionId };
      const claims = hasuraClaims(user, config.customFields);
      const token = await jwt.sign({ [config.claimsNamespace]: claims, ...sid }, { subject: user.id, lifetimeSeconds });
      return { token, expiresInMs: lifetimeSeconds * 1000, claims };
    },

    async verify(token) {
      const payload = await jwt.verify(token);
      // Other dialects' tokens carry an audience; HBP's never do.
      if (payload === null || payload.aud !== undefined) return null;
      const claims = payload[config.claimsNamespace];
      if (typeof claims !== "object" || claims === null || typeof (claims as HasuraClaims)["x-hasura-user-id"] !== "string") {
        return null;
      }
      return { claims: claims as HasuraClaims, sessionId: typeof payload.sid === "string" ? payload.sid : null };
    },
  };
}
