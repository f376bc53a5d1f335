// How far an HBP password login (`POST /auth/login`, email and password, no TOTP) travels before it reaches the
// database: latchkey's calls on the stack when its first SQL statement runs, and when the account's row is read,
// from the dialect's handler down (the HTTP edge above it is the same for every request). In-process on SQLite in a
// temporary data directory; every bun:sqlite statement is watched, so one run through drizzle, a compiled lookup or a
// transaction statement is caught alike.   `bun bench/tools/login-hops.ts`
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { createLatchkey } from "../../src/server.ts";

const SRC = resolve(import.meta.dir, "../../src");
Error.stackTraceLimit = 200;

/** The statements the login ran, in order, each with the stack it ran from. */
const seen: { sql: string; stack: string }[] = [];
let watching = false;

function watched<Run extends (...args: never[]) => unknown>(sql: string, run: Run): Run {
  return function (this: unknown, ...args: never[]) {
    if (watching) seen.push({ sql, stack: new Error().stack ?? "" });
    return run.apply(this, args);
  } as Run;
}
// bun:sqlite gives each statement its own run methods, so they are wrapped as statements are made.
const database = Database.prototype as unknown as Record<"prepare" | "query", (sql: string, ...rest: unknown[]) => Record<string, unknown>>;
for (const make of ["prepare", "query"] as const) {
  const original = database[make]!;
  database[make] = function (this: unknown, sql: string, ...rest: unknown[]) {
    const statement = original.call(this, sql, ...rest);
    for (const method of ["all", "get", "run", "values", "iterate"]) {
      const run = statement[method];
      if (typeof run === "function") statement[method] = watched(sql, run.bind(statement) as (...args: never[]) => unknown);
    }
    return statement;
  };
}

/** latchkey's frames of a stack, outermost first, from the dialect's handler down. */
function callsOf(stack: string): string[] {
  const frames = stack
    .split("\n")
    .filter((line) => line.includes(SRC))
    .map((line) => {
      const match = /at (?:async )?(\S+)? ?\(?(\/[^:)]+):(\d+)/.exec(line);
      return match ? `${match[1] ?? "<anonymous>"} (${relative(SRC, match[2]!)}:${match[3]})` : line.trim();
    })
    .reverse();
  const handler = frames.findIndex((frame) => frame.includes("(apis/"));
  return handler > 0 ? frames.slice(handler) : frames;
}

function report(title: string, statement: { sql: string; stack: string } | undefined): void {
  if (!statement) throw new Error(`no statement for: ${title}`);
  const calls = callsOf(statement.stack);
  const files = new Set(calls.map((call) => call.replace(/^.*\((.*):\d+\)$/, "$1")));
  console.log(`${title}: ${calls.length} calls in ${files.size} files (${statement.sql.replace(/\s+/g, " ").slice(0, 60)}...)`);
  calls.forEach((call, index) => console.log(`${String(index + 1).padStart(4)}. ${call}`));
}

const dataDir = mkdtempSync(join(tmpdir(), "login-hops-"));
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
try {
  const config = loadConfig({ DATA_DIR: dataDir, EMAILS_ENABLED: "false" });
  const latchkey = await createLatchkey(config, { logger: silent as never });
  const post = (path: string, body: object) =>
    latchkey.app.handle(new Request(`http://localhost${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));
  const credentials = { email: "hops@example.com", password: "hops-password-1" };
  const registered = await post("/auth/register", credentials);
  if (registered.status !== 200) throw new Error(`register answered ${registered.status}: ${await registered.text()}`);

  watching = true;
  const login = await post("/auth/login", credentials);
  watching = false;
  if (login.status !== 200) throw new Error(`login answered ${login.status}: ${await login.text()}`);
  await latchkey.close();

  const work = seen.filter((statement) => !/^(BEGIN|COMMIT)/i.test(statement.sql.trim()));
  report("the first SQL statement", work[0]);
  report("the account's row", work.find((statement) => /from "users"/i.test(statement.sql)));
  console.log(`${work.length} statements in the login (BEGIN/COMMIT not counted)`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
