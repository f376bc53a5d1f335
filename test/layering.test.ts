// The layering of src/ (issue 24), checked on every import, type-only and dynamic ones included:
//
//   composition (main.ts, server.ts, cli/ ...)  ->  apis/<dialect>  ->  core, storage, http  ->  db  ->  lib
//
// A dialect never imports another dialect or db; core never imports a dialect, storage or the HTTP edge; db never
// imports core, a dialect or storage; storage reaches core only through the ports core declares for it; the HTTP
// edge is plain HTTP; the kernel (lib/) imports nothing of latchkey's. What breaks a direction today and is being
// taken out by another part of issue 24 is listed below as a known exception, so that each can be struck off.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

const SRC = resolve(import.meta.dir, "../src");

/** Where a file of src/ sits, as the rules see it. */
type Layer =
  | "lib"
  | "db"
  | "core"
  | "storage"
  | "http"
  /** A file directly in apis/: what every dialect shares. */
  | "apis"
  /** apis/<name>/: one dialect. */
  | `apis/${string}`
  /** config.ts and its readers. */
  | "config"
  /** worker-module.ts: where a worker's entry point is. It stays beside src/'s root because the URL it makes is
   * relative to its own place, in the source tree and in the compiled binary alike. It imports nothing. */
  | "worker-module"
  /** What builds and runs latchkey: main.ts, server.ts, the other files at src/'s root, cli/, and docs/ (the OpenAPI
   * document and its page, made from the whole app's routes). */
  | "composition";

const CONFIG_FILES = new Set([
  "config.ts",
  "config-reader.ts",
  "config-urls.ts",
  "config-backup-schedule.ts",
  "config-webauthn.ts",
  "config-providers.ts",
  "config-builtin-providers.ts",
  "config-console.ts",
  "config-jwt.ts",
  "config-rate-limits.ts",
  "config-passwords.ts",
  "config-mail.ts",
  "config-storage.ts",
]);

function layerOf(path: string): Layer {
  const [top, second] = path.split("/");
  if (!path.includes("/")) {
    if (CONFIG_FILES.has(path)) return "config";
    return path === "worker-module.ts" ? "worker-module" : "composition";
  }
  if (top === "apis") return second!.endsWith(".ts") ? "apis" : `apis/${second}`;
  if (top === "cli" || top === "docs") return "composition";
  if (top === "lib" || top === "db" || top === "core" || top === "storage" || top === "http") return top;
  throw new Error(`${path}: a folder of src/ the layering does not know; add it to test/layering.test.ts`);
}

/** The files of core that storage may import: the ports core declares for what storage does for it. */
const CORE_PORTS_FOR_STORAGE = new Set(["core/accounts/owned-data.ts"]);

/** The layers each layer may import besides itself (a dialect: its own folder). Anything else breaks a direction. */
const MAY_IMPORT: Record<string, Layer[]> = {
  lib: [],
  "worker-module": [],
  config: ["lib"],
  http: ["lib"],
  db: ["lib", "worker-module"],
  core: ["lib", "db", "config"],
  // and CORE_PORTS_FOR_STORAGE
  storage: ["lib", "db", "config", "worker-module"],
  apis: ["lib", "core", "storage", "http", "config"],
  dialect: ["lib", "core", "storage", "http", "config", "apis"],
};

/**
 * Imports that break a direction today and are being removed by another part of issue 24. Strike each off when it
 * goes: the test fails on an entry that no longer happens, so the list only shrinks.
 */
const KNOWN_EXCEPTIONS: { from: string; to: string; why: string }[] = [];

/**
 * Files outside db/ that import drizzle-orm today (db/ is the only place that should: issue 24, "no core file
 * imports drizzle"). The repositories part moves their queries behind named methods in db/; strike each off then.
 */
const KNOWN_DRIZZLE_OUTSIDE_DB = new Set([
  "cli/export-format.ts",
  "cli/export.ts",
]);

interface Import {
  /** The importing file, relative to src/. */
  from: string;
  /** A file relative to src/, `outside:<path>` for one of the repository outside src/, or `package:<name>`. */
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every import of every file in src/: static, type-only, re-exports and import(). TypeScript's own scanner skips comments and strings. */
function importsOfSrc(): Import[] {
  return sourceFiles(SRC).flatMap((file) => {
    const from = relative(SRC, file);
    return ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map(({ fileName }) => {
      if (!fileName.startsWith(".")) return { from, to: `package:${fileName}` };
      const target = resolve(dirname(file), fileName);
      return { from, to: target.startsWith(`${SRC}/`) ? relative(SRC, target) : `outside:${relative(resolve(SRC, ".."), target)}` };
    });
  });
}

/** Why an import breaks a direction, or null when it keeps them. */
function violation({ from, to }: Import): string | null {
  const source = layerOf(from);
  if (to.startsWith("package:")) {
    const drizzle = /^package:drizzle-orm(\/|$)/.test(to);
    return drizzle && source !== "db" && !KNOWN_DRIZZLE_OUTSIDE_DB.has(from) ? `${from} imports drizzle-orm: only db/ may` : null;
  }
  if (to.startsWith("outside:")) return source === "lib" ? `${from} imports ${to}: the kernel imports nothing of latchkey's` : null;
  const target = layerOf(to);
  if (source === target || source === "composition") return null;
  if (source === "storage" && CORE_PORTS_FOR_STORAGE.has(to)) return null;
  const allowed = MAY_IMPORT[source.startsWith("apis/") ? "dialect" : source]!;
  if (allowed.includes(target)) return null;
  if (KNOWN_EXCEPTIONS.some((known) => known.from === from && known.to === to)) return null;
  return `${from} imports ${to}: ${source} may import ${allowed.length === 0 ? "nothing of latchkey's" : allowed.join(", ")}, not ${target}`;
}

describe("the layering of src/", () => {
  const imports = importsOfSrc();

  test("every import keeps the directions", () => {
    expect(imports.length).toBeGreaterThan(300);
    expect(imports.map(violation).filter((problem) => problem !== null)).toEqual([]);
  });

  test("each known exception still happens (strike it off once it is gone)", () => {
    const stale = KNOWN_EXCEPTIONS.filter((known) => !imports.some((i) => i.from === known.from && i.to === known.to));
    const drizzleUsers = new Set(imports.filter((i) => /^package:drizzle-orm(\/|$)/.test(i.to)).map((i) => i.from));
    const staleDrizzle = [...KNOWN_DRIZZLE_OUTSIDE_DB].filter((file) => !drizzleUsers.has(file));
    expect([...stale.map((known) => `${known.from} -> ${known.to}`), ...staleDrizzle]).toEqual([]);
  });

  // The checker itself: each direction the issue names is caught (so a green run above means something).
  test.each([
    ["a dialect -> another dialect", "apis/hbp/login.ts", "apis/faroe/errors.ts"],
    ["a dialect -> db", "apis/hbp/login.ts", "db/schema.ts"],
    ["core -> a dialect", "core/accounts/users.ts", "apis/hbp/errors.ts"],
    ["core -> storage", "core/accounts/users.ts", "storage/storage.ts"],
    ["core -> http", "core/accounts/users.ts", "http/client-ip.ts"],
    ["db -> core", "db/sqlite.ts", "core/errors.ts"],
    ["db -> a dialect", "db/sqlite.ts", "apis/hbp/errors.ts"],
    ["db -> storage", "db/sqlite.ts", "storage/errors.ts"],
    ["db -> config", "db/postgres.ts", "config.ts"],
    ["lib -> core", "lib/random.ts", "core/errors.ts"],
    ["lib -> config", "lib/errors.ts", "config.ts"],
    ["lib -> outside src", "lib/logger.ts", "outside:package.json"],
    ["storage -> core beyond its ports", "storage/storage.ts", "core/security-events.ts"],
    ["http -> core", "http/client-ip.ts", "core/sessions/sessions.ts"],
    ["http -> db", "http/request-body.ts", "db/client.ts"],
    ["http -> storage", "http/request-body.ts", "storage/errors.ts"],
    ["anything below -> the composition", "core/index.ts", "server.ts"],
    ["core -> drizzle-orm in a new file", "core/challenges.ts", "package:drizzle-orm"],
  ])("%s is refused", (_, from, to) => {
    expect(violation({ from, to })).not.toBeNull();
  });

  test.each([
    ["a dialect -> core", "apis/hbp/login.ts", "core/sign-in/sign-in.ts"],
    ["a dialect -> what the dialects share", "apis/hbp/login.ts", "apis/dialect.ts"],
    ["storage -> core's port for it", "storage/file-removal.ts", "core/accounts/owned-data.ts"],
    ["core -> db", "core/accounts/users.ts", "db/client.ts"],
    ["the composition -> anything", "server.ts", "apis/hbp/routes.ts"],
  ])("%s is allowed", (_, from, to) => {
    expect(violation({ from, to })).toBeNull();
  });
});
