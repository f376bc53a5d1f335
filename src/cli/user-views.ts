// What `latchkey user ...` prints: a line per account or session for a person, or with --json one JSON document a
// script can parse (times as ISO 8601, never a password hash, TOTP secret or token).
import type { Account, User } from "../core/accounts/users.ts";
import type { PasskeyInfo } from "../core/second-factors/passkeys.ts";
import type { LiveSession } from "../core/sessions/sessions.ts";

export function accountState(account: Pick<Account, "active" | "disabled">): "active" | "inactive" | "disabled" {
  return account.disabled ? "disabled" : account.active ? "active" : "inactive";
}

/** How an account is named in messages: its address, its username, or its id. */
export function accountName(account: Pick<Account, "id" | "email" | "username">): string {
  return account.email ?? account.username ?? account.id;
}

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/** An account as --json writes it. */
export function accountJson(account: Account): Record<string, unknown> {
  return {
    id: account.id,
    email: account.email,
    username: account.username,
    displayName: account.displayName,
    state: accountState(account),
    emailVerified: account.emailVerified,
    anonymous: account.isAnonymous,
    defaultRole: account.defaultRole,
    createdAt: iso(account.createdAt),
    updatedAt: iso(account.updatedAt),
  };
}

export function listLine(account: Account): string {
  return `${account.id}  ${account.email ?? account.username ?? "(anonymous)"}  ${accountState(account)}  ${account.defaultRole}`;
}

export interface AccountDetails {
  user: User;
  mfa: boolean;
  sessions: number;
  passkeys: PasskeyInfo[];
}

export function passkeyJson(passkey: PasskeyInfo): Record<string, unknown> {
  return {
    id: passkey.id,
    nickname: passkey.nickname,
    transports: passkey.transports,
    synced: passkey.deviceType === "multiDevice",
    createdAt: iso(passkey.createdAt),
    lastUsedAt: passkey.lastUsedAt === null ? null : iso(passkey.lastUsedAt),
  };
}

export function showJson({ user, mfa, sessions, passkeys }: AccountDetails): Record<string, unknown> {
  return {
    ...accountJson(user),
    roles: user.roles,
    hasPassword: user.passwordHash !== null,
    mfa,
    sessions,
    passkeys: passkeys.map(passkeyJson),
    metadata: user.metadata,
  };
}

/** The account's passkeys, a line each (id, nickname, created, last used), under `show`'s rows. */
function passkeysText(passkeys: PasskeyInfo[]): string {
  if (passkeys.length === 0) return "";
  const rows = [
    ["passkey", "nickname", "created", "last used"],
    ...passkeys.map((passkey) => [passkey.id, passkey.nickname ?? "-", iso(passkey.createdAt), passkey.lastUsedAt === null ? "never" : iso(passkey.lastUsedAt)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return `\n\n${rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ")).join("\n")}`;
}

export function showText({ user, mfa, sessions, passkeys }: AccountDetails): string {
  const rows: [string, string][] = [
    ["id", user.id],
    ["email", user.email ?? "-"],
    ["username", user.username ?? "-"],
    ["display name", user.displayName ?? "-"],
    ["state", accountState(user)],
    ["email verified", user.emailVerified ? "yes" : "no"],
    ["default role", user.defaultRole],
    ["roles", user.roles.join(", ") || "-"],
    ["two-factor (TOTP)", mfa ? "on" : "off"],
    ["password", user.passwordHash === null ? "none (password-less)" : "set"],
    ["passkeys", String(passkeys.length)],
    ["live sessions", String(sessions)],
    ["created", iso(user.createdAt)],
    ["updated", iso(user.updatedAt)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n") + passkeysText(passkeys);
}

export function sessionJson(session: LiveSession): Record<string, unknown> {
  return {
    id: session.id,
    createdAt: iso(session.createdAt),
    lastUsedAt: iso(session.lastUsedAt),
    expiresAt: iso(session.expiresAt),
    ip: session.ip,
    userAgent: session.userAgent,
  };
}

export function sessionsText(sessions: LiveSession[]): string {
  if (sessions.length === 0) return "no live sessions";
  const rows = [
    ["session", "created", "last used", "ip", "user agent"],
    ...sessions.map((session) => [session.id, iso(session.createdAt), iso(session.lastUsedAt), session.ip ?? "-", session.userAgent ?? "-"]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ")).join("\n");
}
