// A real PostgreSQL server for tests: Debian's (or any) postgres binaries on a free loopback port, its cluster in a
// temporary folder, trust authentication, fsync off (test speed only). Each test takes a fresh database.
//
// One server per process (startPostgres() is memoised; `bun test` runs every file in one process). It lives until
// the last handle is stopped, or until the process ends: postgres runs under a small bash wrapper that holds our
// pipe as its stdin, so when this process exits or is killed, the pipe closes and the wrapper shuts postgres down
// (SIGQUIT, immediate) and deletes the folder. The same trick as test/support/s3.ts.
//
// LATCHKEY_TEST_POSTGRES_URL=postgres://user@host:port/db reuses a running server instead (databases are created
// on it; stop() drops the ones this handle made and closes its client).
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runProcess, spawnProcess } from "./process.ts";

export interface TestPostgres {
  /** The administrator's URL (the `postgres` database, as the `postgres` superuser). */
  url: string;
  port: number;
  /**
   * CREATE DATABASE with a fresh, unique name; its postgres:// URL. `icuLocale`: the database's default collation is
   * that ICU locale's (as on a cluster made with a Debian default locale such as en_US.UTF-8), not C.
   */
  database(options?: { icuLocale?: string }): Promise<string>;
  /** Releases this handle; the last one stops a server started here. */
  stop(): Promise<void>;
}

interface Server {
  url: string;
  port: number;
  external: boolean;
  shutdown(): Promise<void>;
}

let shared: Promise<Server> | undefined;
/** Handles not yet stopped (counted from the call, so a stop cannot shut down a server another call is waiting for). */
let users = 0;
let databases = 0;

export async function startPostgres(): Promise<TestPostgres> {
  users++;
  let server: Server;
  try {
    shared ??= launch();
    server = await shared.catch((error) => {
      shared = undefined;
      throw error;
    });
  } catch (error) {
    users--;
    throw error;
  }
  const admin = new Bun.SQL(server.url, { max: 2 });
  const created: string[] = [];
  let stopped = false;
  return {
    url: server.url,
    port: server.port,
    async database(options = {}) {
      const name = `latchkey_test_${process.pid}_${++databases}_${crypto.randomUUID().slice(0, 8)}`;
      const icu = options.icuLocale;
      if (icu !== undefined && !/^[A-Za-z-]+$/.test(icu)) throw new Error(`not a locale name: ${icu}`);
      await admin.unsafe(
        icu === undefined ? `CREATE DATABASE "${name}"` : `CREATE DATABASE "${name}" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '${icu}' LOCALE 'C'`,
      );
      created.push(name);
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (server.external) {
        // Best effort: a latchkey still connected is disconnected (FORCE, PostgreSQL 13+).
        for (const name of created) await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
      }
      await admin.close();
      if (--users === 0 && !server.external) {
        shared = undefined;
        await server.shutdown();
      }
    },
  };
}

async function launch(): Promise<Server> {
  const external = process.env.LATCHKEY_TEST_POSTGRES_URL;
  if (external) {
    await waitForConnections(external, () => null);
    return { url: external, port: Number(new URL(external).port || 5432), external: true, shutdown: async () => {} };
  }
  const bin = findBinaries() ?? installPostgres();
  const asRoot = process.getuid?.() === 0;
  // initdb and postgres refuse to run as root: run them as the `postgres` system user.
  const run = asRoot ? ["runuser", "-u", "postgres", "--"] : [];
  if (asRoot) ensurePostgresUser();

  const [uid, gid] = asRoot ? idOf("postgres") : [-1, -1];

  for (let attempt = 1; ; attempt++) {
    // A fresh cluster each attempt: the wrapper deletes the folder when postgres exits.
    const root = mkdtempSync(join(tmpdir(), "latchkey-postgres-"));
    const data = join(root, "data");
    const log = join(root, "postgres.log");
    const wrapper = join(root, "run-postgres.sh");
    writeFileSync(wrapper, WRAPPER);
    if (asRoot) chownSync(root, uid, gid);
    const init = await runProcess(
      [...run, join(bin, "initdb"), "-D", data, "--auth=trust", "-U", "postgres", "--no-sync", "--encoding=UTF8", "--locale=C"],
      { cwd: root },
    );
    if (init.exitCode !== 0) {
      rmSync(root, { recursive: true, force: true });
      throw new Error(`initdb failed (exit ${init.exitCode}):\n${init.stdout}${init.stderr}`);
    }
    const port = await freePort();
    const child = spawnProcess(
      [
        "bash", wrapper, root, data, log,
        ...run, join(bin, "postgres"), "-D", data, "-p", String(port), "-k", root,
        "-c", "listen_addresses=127.0.0.1",
        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        "-c", "max_connections=300",
      ],
      { cwd: root, stdin: "pipe", name: "postgres" },
    );
    // The child does not keep this process alive; our end of its stdin closes when we exit, whatever the way.
    child.unref();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    try {
      await waitForConnections(url, () => (child.exitCode() === null ? null : `postgres exited (${child.exitCode()})`));
    } catch (error) {
      const output = existsSync(log) ? readFileSync(log, "utf8") : "";
      child.closeStdin();
      await child.finished();
      rmSync(root, { recursive: true, force: true });
      // Another process took the port between freePort() and postgres binding it: try another.
      if (attempt < 3 && /already in use/i.test(output)) continue;
      throw new Error(`${(error as Error).message}\n${output}`);
    }
    return {
      url,
      port,
      external: false,
      async shutdown() {
        child.closeStdin();
        await child.finished();
        rmSync(root, { recursive: true, force: true });
      },
    };
  }
}

// Arguments: the temporary folder, the data directory, the log file, then the postgres command. Exits when postgres
// does; stops postgres when its stdin (our pipe) reaches EOF, i.e. when stop() ends it or this process is gone.
const WRAPPER = `
root=$1 data=$2 log=$3
shift 3
"$@" </dev/null >>"$log" 2>&1 &
pid=$!
exec 3<&0
(
  while read -r -u 3 _; do :; done
  master=$(head -n 1 "$data/postmaster.pid" 2>/dev/null)
  kill -QUIT "\${master:-$pid}" 2>/dev/null
) &
watcher=$!
wait "$pid"
status=$?
kill "$watcher" 2>/dev/null
rm -rf "$root"
exit "$status"
`;

/** Polls `select 1` until it answers (up to ~20 s); `failed` names a reason to give up early. */
async function waitForConnections(url: string, failed: () => string | null): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last: unknown;
  while (Date.now() < deadline) {
    const reason = failed();
    if (reason) throw new Error(`PostgreSQL did not start: ${reason}`);
    const sql = new Bun.SQL(url, { max: 1, connectionTimeout: 2 });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      last = error;
    } finally {
      await sql.close().catch(() => {});
    }
    await Bun.sleep(50);
  }
  throw new Error(`PostgreSQL at ${url.replace(/\/\/[^@]*@/, "//")} accepted no connection in 20 s: ${(last as Error)?.message}`);
}

/** The folder with initdb and postgres: the newest /usr/lib/postgresql/<version>/bin, else from PATH. */
function findBinaries(): string | undefined {
  const has = (dir: string) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"));
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((version) => /^\d+(\.\d+)?$/.test(version))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) if (has(join(base, version, "bin"))) return join(base, version, "bin");
  }
  const initdb = Bun.which("initdb");
  if (initdb) {
    const dir = dirname(realpathSync(initdb));
    if (has(dir)) return dir;
  }
  return undefined;
}

function installPostgres(): string {
  const howTo =
    "PostgreSQL's server binaries (initdb, postgres) are not installed. Install them (Debian/Ubuntu: `apt-get install postgresql`), " +
    "or point the tests at a running server with LATCHKEY_TEST_POSTGRES_URL=postgres://user@host:port/db";
  if (process.getuid?.() !== 0 || !Bun.which("apt-get")) throw new Error(howTo);
  console.log("test/support/postgres.ts: no PostgreSQL found; installing Debian's postgresql package (apt-get install -y postgresql)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => Bun.spawnSync(["apt-get", "install", "-y", "postgresql"], { env, stdout: "inherit", stderr: "inherit" }).exitCode === 0;
  if (!install()) {
    console.log("test/support/postgres.ts: apt-get install failed; running apt-get update and trying again");
    Bun.spawnSync(["apt-get", "update"], { env, stdout: "inherit", stderr: "inherit" });
    if (!install()) throw new Error(`apt-get install -y postgresql failed. ${howTo}`);
  }
  const bin = findBinaries();
  if (!bin) throw new Error(`apt-get installed postgresql but no initdb was found under /usr/lib/postgresql. ${howTo}`);
  return bin;
}

function ensurePostgresUser(): void {
  if (Bun.spawnSync(["id", "-u", "postgres"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0) return;
  console.log("test/support/postgres.ts: creating the `postgres` system user to run the test server");
  const made = Bun.spawnSync(["useradd", "--system", "--user-group", "--no-create-home", "postgres"], { stderr: "pipe" });
  if (made.exitCode !== 0) throw new Error(`useradd postgres failed: ${made.stderr.toString()}`);
}

function idOf(user: string): [number, number] {
  const read = (flag: string) => Number(Bun.spawnSync(["id", flag, user]).stdout.toString().trim());
  return [read("-u"), read("-g")];
}

async function freePort(): Promise<number> {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}
