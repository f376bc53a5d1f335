// How long the routes that mail take to answer for a registered address and for an unknown one: HBP's
// `POST /auth/change-password/request`, HBP's magic-link login (`POST /auth/login` without a password) and lncrawl's
// `POST /api/auth/send-password-reset-link`. A difference between the two is what lets anyone tell which addresses
// have accounts (issue 23). A measurement, not a test: it prints medians and 90th percentiles, it asserts nothing.
// `bun bench/tools/mail-timing.ts` (ROUNDS=200). One latchkey from source, mail to its outbox; each round asks each
// route once for each address, back to back, in an order that alternates between rounds.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const ROUNDS = Number(process.env.ROUNDS ?? 200);
const REGISTERED = "registered@example.com";
const UNKNOWN = "unknown@example.com";

interface Route {
  name: string;
  path: string;
  body: (email: string) => object;
}

const ROUTES: Route[] = [
  { name: "HBP change-password/request", path: "/auth/change-password/request", body: (email) => ({ email }) },
  { name: "HBP magic-link login", path: "/auth/login", body: (email) => ({ email }) },
  { name: "lncrawl send-password-reset-link", path: "/api/auth/send-password-reset-link", body: (email) => ({ email }) },
];

const freePort = (): number => {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  void probe.stop(true);
  return port;
};

async function post(url: string, body: object): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const dataDir = mkdtempSync(join(tmpdir(), "latchkey-mail-timing-"));
const port = freePort();
const url = `http://127.0.0.1:${port}`;
const child = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), "serve"], {
  cwd: dataDir,
  env: {
    PATH: Bun.env.PATH ?? "",
    HOME: dataDir,
    HOST: "127.0.0.1",
    PORT: String(port),
    DATA_DIR: dataDir,
    LOST_PASSWORD_ENABLED: "true",
    MAGIC_LINK_ENABLED: "true",
    REDIRECT_URL_SUCCESS: "http://app.example/welcome",
    LNCRAWL_ENABLED: "true",
    // Every round asks for the same two addresses: the mail throttles must not be what is measured.
    RATE_LIMIT_MAX_PER_IP: "1000000",
    RATE_LIMIT_MAX_PER_ACCOUNT: "100000",
  },
  stdout: "ignore",
  stderr: "ignore",
});

try {
  for (let attempt = 0; !(await fetch(`${url}/healthz`).then((response) => response.ok, () => false)); attempt++) {
    if (attempt > 200) throw new Error("latchkey did not start");
    await Bun.sleep(50);
  }
  const registered = await post(`${url}/auth/register`, { email: REGISTERED, password: "bench-password-1", cookie: false });
  if (registered.status !== 200) throw new Error(`registration answered ${registered.status}`);

  const times = new Map<string, number[]>();
  for (const route of ROUTES) for (const email of [REGISTERED, UNKNOWN]) times.set(`${route.name}|${email}`, []);
  // A few rounds first, not counted: the first requests compile routes and load nodemailer.
  for (let round = -5; round < ROUNDS; round++) {
    for (const route of ROUTES) {
      const order = round % 2 === 0 ? [REGISTERED, UNKNOWN] : [UNKNOWN, REGISTERED];
      for (const email of order) {
        const { status, ms } = await post(url + route.path, route.body(email));
        if (status >= 300) throw new Error(`${route.name} for ${email} answered ${status}`);
        if (round >= 0) times.get(`${route.name}|${email}`)!.push(ms);
      }
    }
  }

  console.log(`${ROUNDS} rounds; ms per answer, median (p90)`);
  console.log(`${"route".padEnd(34)} ${"registered".padStart(16)} ${"unknown".padStart(16)}`);
  for (const route of ROUTES) {
    const cell = (email: string) => {
      const sorted = times.get(`${route.name}|${email}`)!.sort((a, b) => a - b);
      return `${quantile(sorted, 0.5).toFixed(2)} (${quantile(sorted, 0.9).toFixed(2)})`.padStart(16);
    };
    console.log(`${route.name.padEnd(34)} ${cell(REGISTERED)} ${cell(UNKNOWN)}`);
  }
} finally {
  child.kill("SIGTERM");
  await child.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
