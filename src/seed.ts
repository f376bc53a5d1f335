// `latchkey serve --seed <file>`: a known state for a test suite, applied at start-up before the server accepts
// requests. The file is JSON, or YAML when it is named *.yaml / *.yml (Bun.YAML parses it; no dependency):
//
//   { "users": [{ "email": "a@example.com", "password": "...", "roles": ["editor"], "defaultRole": "user",
//                 "totpSecret": "BASE32...", "displayName": "A" }],
//     "files": [{ "path": "public/a.txt", "text": "hello" } | { "path": ..., "base64": "..." } | { "path": ..., "file": "./a.png" },
//               optional "contentType"] }
//
// Everything goes through core and storage as a request would (the registration policy, argon2id, the TOTP
// credential, the storage rules' admin bypass): nothing is written with SQL. A seed prepares a new database: an
// account it names that exists already refuses the start (exit 2), so a second start on the same data directory
// says so instead of half-applying. Files are written with ADMIN_SECRET, which a seed with files needs.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Secret } from "otpauth";
import type { Core } from "./core/index.ts";
import { codeFor } from "./core/second-factors/totp.ts";
import { ConfigError } from "./lib/errors.ts";
import type { Logger } from "./lib/logger.ts";
import { parseStoragePath } from "./storage/paths.ts";
import type { Storage } from "./storage/storage.ts";

export interface SeedUser {
  email: string;
  password: string | null;
  roles: string[];
  defaultRole: string | null;
  displayName: string | null;
  /** Base32, as authenticator apps take it; the test computes codes from it. */
  totpSecret: string | null;
}

export interface SeedFile {
  path: string;
  contentType: string | null;
  content: Uint8Array;
}

export interface Seed {
  users: SeedUser[];
  files: SeedFile[];
}

/** Reads and checks a seed file; every problem is a ConfigError naming the file and the entry (exit 2). */
export function readSeed(file: string): Seed {
  const fail = (problem: string): never => {
    throw new ConfigError([`--seed ${file}: ${problem}`]);
  };
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(file) ? Bun.YAML.parse(text) : JSON.parse(text);
  } catch (error) {
    // The parser quotes what it stumbled on, which may be a password (`"password": hunter2`): quotes are emptied.
    fail(`is not valid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${(error as Error).message.replace(/"[^"]*"/g, '"…"')}`);
  }
  if (!isObject(parsed)) return fail(`must be an object with "users" and/or "files"`);
  for (const key of Object.keys(parsed)) if (key !== "users" && key !== "files") fail(`unknown field "${key}" (expected "users", "files")`);
  const list = (key: string): unknown[] => {
    const value = parsed[key];
    if (value === undefined) return [];
    return Array.isArray(value) ? value : fail(`"${key}" must be a list`);
  };
  const users = list("users").map((entry, index) => readUser(entry, `users[${index}]`, fail));
  const seen = new Set<string>();
  for (const user of users) {
    if (seen.has(user.email.toLowerCase())) fail(`users: ${user.email} is listed twice`);
    seen.add(user.email.toLowerCase());
  }
  const files = list("files").map((entry, index) => readFileEntry(entry, `files[${index}]`, dirname(resolve(file)), fail));
  return { users, files };
}

const TOTP_SECRET_BYTES = 20;
const USER_FIELDS = new Set(["email", "password", "roles", "defaultRole", "displayName", "totpSecret"]);

function readUser(entry: unknown, where: string, fail: (problem: string) => never): SeedUser {
  if (!isObject(entry)) return fail(`${where} must be an object`);
  for (const key of Object.keys(entry)) if (!USER_FIELDS.has(key)) fail(`${where}: unknown field "${key}"`);
  const email = entry.email;
  if (typeof email !== "string" || !email.includes("@")) fail(`${where}.email must be an email address`);
  const text = (key: string): string | null => {
    const value = entry[key];
    if (value === undefined || value === null) return null;
    return typeof value === "string" && value !== "" ? value : fail(`${where}.${key} must be a non-empty string`);
  };
  const roles = entry.roles ?? [];
  if (!Array.isArray(roles) || roles.some((role) => typeof role !== "string" || role === "")) fail(`${where}.roles must be a list of role names`);
  const totpSecret = text("totpSecret");
  if (totpSecret !== null) {
    let valid: boolean;
    try {
      valid = Secret.fromBase32(totpSecret.replace(/\s+/g, "")).bytes.length === TOTP_SECRET_BYTES;
    } catch {
      valid = false;
    }
    // 160 bits, as latchkey's own secrets (core/second-factors/totp.ts takes no other length).
    if (!valid) fail(`${where}.totpSecret must be 160 bits in base32: 32 characters of A-Z and 2-7`);
  }
  return {
    email: email as string,
    password: text("password"),
    roles: roles as string[],
    defaultRole: text("defaultRole"),
    displayName: text("displayName"),
    totpSecret: totpSecret?.replace(/\s+/g, "").toUpperCase() ?? null,
  };
}

const FILE_FIELDS = new Set(["path", "text", "base64", "file", "contentType"]);

function readFileEntry(entry: unknown, where: string, baseDir: string, fail: (problem: string) => never): SeedFile {
  if (!isObject(entry)) return fail(`${where} must be an object`);
  for (const key of Object.keys(entry)) if (!FILE_FIELDS.has(key)) fail(`${where}: unknown field "${key}"`);
  const path = entry.path;
  if (typeof path !== "string" || path === "") return fail(`${where}.path must be a file path in the store`);
  try {
    if (parseStoragePath(encodedPath(path)).isFolder) fail(`${where}.path names a folder`);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    fail(`${where}.path: ${(error as Error).message}`);
  }
  const sources = ["text", "base64", "file"].filter((key) => entry[key] !== undefined);
  if (sources.length !== 1) fail(`${where} needs exactly one of "text", "base64", "file"`);
  const source = sources[0]!;
  const value = entry[source];
  if (typeof value !== "string") return fail(`${where}.${source} must be a string`);
  let content: Uint8Array;
  if (source === "text") content = new TextEncoder().encode(value);
  else if (source === "base64") {
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(value)) fail(`${where}.base64 is not base64`);
    content = Buffer.from(value, "base64");
  } else {
    try {
      // Relative to the seed file's folder, so a seed and its files travel together.
      content = readFileSync(resolve(baseDir, value));
    } catch (error) {
      return fail(`${where}.file ${value} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  const contentType = entry.contentType;
  if (contentType !== undefined && typeof contentType !== "string") fail(`${where}.contentType must be a string`);
  return { path, contentType: (contentType as string | undefined) ?? null, content };
}

/**
 * Applies a seed through core and storage. A problem (an account that exists, a role not in ALLOWED_USER_ROLES, a
 * password the policy refuses, files without ADMIN_SECRET) is a ConfigError naming the entry.
 */
export async function applySeed(
  seed: Seed,
  deps: { core: Core; storage: Storage; adminSecret: string | null; defaultAllowedRoles: string[]; logger: Logger; file: string },
): Promise<void> {
  const { core, storage } = deps;
  const fail = (problem: string): never => {
    throw new ConfigError([`--seed ${deps.file}: ${problem}`]);
  };
  if (seed.files.length > 0 && deps.adminSecret === null) fail(`seeding files needs ADMIN_SECRET (they are written as the admin)`);
  for (const [index, entry] of seed.users.entries()) {
    const where = `users[${index}] (${entry.email})`;
    if (await core.users.findByEmail(entry.email)) fail(`${where} exists already: a seed prepares a new database (--ephemeral, or a fresh DATA_DIR)`);
    let userId: string;
    try {
      const user = await core.users.register(
        {
          email: entry.email,
          password: entry.password,
          allowedRoles: [...new Set([...deps.defaultAllowedRoles, ...entry.roles, ...(entry.defaultRole ? [entry.defaultRole] : [])])],
          ...(entry.defaultRole ? { defaultRole: entry.defaultRole } : {}),
          ...(entry.displayName ? { displayName: entry.displayName } : {}),
        },
        { active: true, registeredBy: "operator" },
      );
      userId = user.id;
      await core.users.markEmailVerified(userId);
      if (entry.totpSecret !== null) {
        const key = Secret.fromBase32(entry.totpSecret).bytes;
        // A code from one step ago proves the key without using up the current step, which the test will sign in with.
        await core.totp.register(userId, key, codeFor(entry.totpSecret, core.clock.now() - 30_000));
      }
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const code = (error as { code?: unknown }).code;
      return fail(`${where}: refused (${typeof code === "string" ? code : (error as Error).message})`);
    }
  }
  for (const [index, entry] of seed.files.entries()) {
    try {
      // The body a client would send (storage takes an upload as multipart/form-data, its `file` part).
      const form = new FormData();
      const type = entry.contentType ?? "application/octet-stream";
      form.append("file", new Blob([entry.content], { type }), entry.path.split("/").at(-1));
      const body = new Response(form);
      await storage.upload(
        parseStoragePath(encodedPath(entry.path)),
        { caller: { auth: null, adminSecret: deps.adminSecret, ip: null }, method: "POST", query: {} },
        { contentType: body.headers.get("content-type"), stream: body.body! },
      );
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      fail(`files[${index}] (${entry.path}): refused (${typeof code === "string" ? code : (error as Error).message})`);
    }
  }
  deps.logger.info("seed applied", { file: deps.file, users: seed.users.length, files: seed.files.length });
}

/** A path as it stands in a URL, each segment percent-encoded (what parseStoragePath takes: "?" and "#" too). */
function encodedPath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
