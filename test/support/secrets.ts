// What grants access never reaches a log, checked by the whole suite: every secret the tests hand a server or get
// from one (passwords sent, tokens and tickets answered, tickets mailed) is remembered here, and when a server the
// tests started stops (test/support/server.ts), its output must hold none of them and no JWT at all. A leak in any
// test's server fails that test file, naming the secret's kind, not the secret.

/** Any JWT (header.payload.): a base64url JSON object starting `{"` is `eyJ`. */
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./;

/**
 * Shorter values are left out: a 6-digit TOTP code or a word could appear in a log by chance (a duration, a port),
 * and a secret that short is not what this check is for. Values that are only lower-case letters are left out for
 * the same reason ("password" is in `reason=invalid_password`), and so are digits only (codes, numbers).
 */
function worthChecking(value: string): boolean {
  return value.length >= 8 && !/^(?:[a-z]+|[0-9]+)$/.test(value);
}

/** Field names whose values, sent in a request body or query, are secrets. */
const SENT = new Set([
  "password", "new_password", "newPassword", "old_password", "oldPassword", "currentPassword", "current_password",
  "refresh_token", "refreshToken", "ticket", "token", "recovery_code", "recoveryCode", "admin_secret",
]);
/** Field names whose values, in an answer's JSON, are secrets. */
const ANSWERED = new Set([
  "jwt_token", "access_token", "accessToken", "refresh_token", "refreshToken", "token", "ticket", "recovery_code",
  "recoveryCode", "backup_codes", "recovery_codes", "csrf_token",
]);
/** Request headers whose values are secrets. */
const SECRET_HEADERS = ["authorization", "x-admin-secret", "x-hasura-admin-secret", "cookie", "x-csrf-token"];

/**
 * Fields whose values are logged by design (a security event names the account that was typed). A value a test also
 * sent as one of these (the fuzzer puts its known password into every field) is no secret.
 */
const NAMES = new Set(["email", "username", "login", "name", "new_email", "newEmail", "account"]);

const handedOut = new Map<string, string>();
const sentAsName = new Set<string>();

/** Tells the check that a test also sends `value` as an account name (which security events write), so it is no secret. */
export function usedAsName(value: string): void {
  sentAsName.add(value.toLowerCase());
}

/** Remembers `value` (of `kind`: "password", "refresh_token" ...) as a secret no log line may hold. */
export function rememberSecret(kind: string, value: unknown): void {
  if (typeof value === "string" && worthChecking(value)) handedOut.set(value, kind);
  if (Array.isArray(value)) for (const item of value) rememberSecret(kind, item);
}

function walk(value: unknown, names: Set<string>, depth: number): void {
  if (value === null || typeof value !== "object" || depth > 5) return;
  if (Array.isArray(value)) {
    for (const item of value) walk(item, names, depth + 1);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (NAMES.has(key) && typeof item === "string") sentAsName.add(item.toLowerCase());
    if (names.has(key)) rememberSecret(key, item);
    else walk(item, names, depth + 1);
  }
}

/** The secrets a request carries: secret fields of its JSON or form body, secret headers. */
export function rememberRequestSecrets(body: unknown, headers: Record<string, string> = {}): void {
  if (typeof body === "string") {
    if (body.startsWith("{")) {
      try {
        walk(JSON.parse(body), SENT, 0);
      } catch {}
    } else if (body.includes("=")) {
      const fields: Record<string, string> = {};
      for (const [key, value] of new URLSearchParams(body)) fields[key] = value;
      walk(fields, SENT, 0);
    }
  } else {
    walk(body, SENT, 0);
  }
  for (const [name, value] of Object.entries(headers)) {
    const header = name.toLowerCase();
    if (!SECRET_HEADERS.includes(header)) continue;
    if (header === "cookie") {
      // `name=value; ...`: the values (and a signed one's value without its signature).
      rememberAnswerSecrets(undefined, value.split(/;\s*/));
    } else if (header === "authorization") {
      // `Bearer <token>`, `Basic <credentials>`: the credentials.
      rememberSecret(header, value.replace(/^\S+\s+/, ""));
    } else {
      rememberSecret(header, value);
    }
  }
}

/** The secrets an answer hands out: secret fields of its JSON, the values of its cookies. */
export function rememberAnswerSecrets(body: unknown, setCookies: string[] = []): void {
  walk(body, ANSWERED, 0);
  for (const cookie of setCookies) {
    const raw = cookie.split(";")[0]!.split("=").slice(1).join("=");
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {}
    rememberSecret("cookie", raw);
    // A signed cookie is `s:<value>.<signature>`: the value alone must not be in a log either.
    rememberSecret("cookie", value);
    rememberSecret("cookie", /^s:(.+)\.[^.]+$/.exec(value)?.[1]);
  }
}

/**
 * `output` without the account names tests sent (security events write the name typed): a name that holds a
 * secret as a part ("password-123" typed as an address, "password-1" someone's password) is not that secret logged.
 */
function withoutNames(output: string): string {
  let cleaned = output;
  for (const name of sentAsName) {
    if (name.length < 8) continue; // shorter than any secret checked (worthChecking), so it cannot hold one
    const lower = cleaned.toLowerCase();
    let at = lower.indexOf(name);
    if (at === -1) continue;
    let rebuilt = "";
    let from = 0;
    while (at !== -1) {
      rebuilt += `${cleaned.slice(from, at)}<name>`;
      from = at + name.length;
      at = lower.indexOf(name, from);
    }
    cleaned = rebuilt + cleaned.slice(from);
  }
  return cleaned;
}

/** What in `output` is a secret: "a JWT", or the kinds of remembered secrets found. Empty when it is clean. */
export function secretsIn(output: string): string[] {
  const found: string[] = [];
  if (JWT.test(output)) found.push("a JWT");
  const cleaned = withoutNames(output);
  for (const [value, kind] of handedOut) {
    if (!sentAsName.has(value.toLowerCase()) && cleaned.includes(value)) found.push(`a ${kind} handed out in this test run`);
  }
  return found;
}

/** Throws when `output` (of the process called `name`) holds a secret, naming what, not the secret itself. */
export function assertNoSecretsIn(output: string, name: string): void {
  const found = secretsIn(output);
  if (found.length === 0) return;
  const secrets = [...handedOut.keys()].filter((value) => !sentAsName.has(value.toLowerCase()));
  const lines = withoutNames(output).split("\n").filter((line) => JWT.test(line) || secrets.some((value) => line.includes(value)));
  const shown = lines.map((line) => line.replace(/eyJ[A-Za-z0-9_.-]+/g, "<JWT>").slice(0, 300));
  throw new Error(`${name} logged ${[...new Set(found)].join(", ")}, in:\n${shown.join("\n")}`);
}
