// What a sign-in costs each server beyond its hash: latchkey's `POST /auth/login` and better-auth's
// `POST /api/auth/sign-in/email`, in turns, with the CPU each process spent (all its threads, from /proc) divided by
// the sign-ins it answered. Both hash with Bun.password (argon2id m=19456 t=2), so on two cores both are bound by
// the same pool, and the throughput of one 10 s run swings by more than they differ; CPU per sign-in does not.
// `bun bench/tools/login-cpu.ts` after `bash bench/run.sh` (or `bun run build` and `npm ci --prefix bench/peer`);
// ROUNDS=4, SECONDS=8. Needs wrk.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseWrk } from "../lib/parse.ts";

const ROOT = resolve(import.meta.dir, "../..");
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const SECONDS = Number(process.env.SECONDS ?? 8);
const USERS = 64;
const PASSWORD = "bench-password-1";
const CLOCK_TICKS = 100; // USER_HZ on Linux

const work = mkdtempSync(join(tmpdir(), "login-cpu-"));
const freePort = () => {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
};
const cpuTicks = (pid: number) => {
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
};

interface Contender {
  name: string;
  process: ReturnType<typeof Bun.spawn>;
  url: string;
  path: string;
  body: string;
}

async function start(name: string, cmd: string[], cwd: string, env: Record<string, string>, port: number, ready: string, signUp: { path: string; body: (n: number) => object }, login: { path: string; body: string }): Promise<Contender> {
  const child = Bun.spawn(cmd, { cwd, env: { PATH: Bun.env.PATH ?? "", HOME: work, ...env }, stdout: "ignore", stderr: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const ok = await fetch(url + ready).then((response) => response.ok, () => false);
    if (ok) break;
    if (attempt > 100) throw new Error(`${name} did not start`);
    await Bun.sleep(100);
  }
  for (let n = 0; n < USERS; n++) {
    const response = await fetch(url + signUp.path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(signUp.body(n)) });
    if (!response.ok) throw new Error(`${name}: sign-up ${n} answered ${response.status}`);
  }
  return { name, process: child, url, path: login.path, body: login.body };
}

async function measure(contender: Contender, seconds: number): Promise<{ rps: number; cpuMs: number }> {
  const before = cpuTicks(contender.process.pid);
  const wrk = Bun.spawn(["wrk", "-t1", "-c8", `-d${seconds}s`, "--latency", "-s", "post-users.lua", contender.url + contender.path], {
    cwd: join(ROOT, "bench/lua"),
    env: { PATH: Bun.env.PATH ?? "", WRK_PATH: contender.path, WRK_BODY: contender.body, WRK_USERS: String(USERS) },
    stdout: "pipe",
  });
  const result = parseWrk(await new Response(wrk.stdout).text());
  await wrk.exited;
  const after = cpuTicks(contender.process.pid);
  if (result.non2xx > 0 || result.socketErrors > 0 || result.requests === 0) {
    throw new Error(`${contender.name}: ${result.requests} answers, ${result.non2xx} not 2xx, ${result.socketErrors} socket errors`);
  }
  return { rps: result.rps, cpuMs: ((after - before) * (1000 / CLOCK_TICKS)) / result.requests };
}

const contenders: Contender[] = [];
try {
  const latchkeyPort = freePort();
  const data = join(work, "latchkey");
  mkdirSync(data);
  contenders.push(
    await start(
      "latchkey",
      [join(ROOT, "dist/latchkey"), "serve"],
      work,
      { HOST: "127.0.0.1", PORT: String(latchkeyPort), DATA_DIR: data },
      latchkeyPort,
      "/healthz",
      { path: "/auth/register", body: (n) => ({ email: `bench-${n}@example.com`, password: PASSWORD, cookie: false }) },
      { path: "/auth/login", body: `{"email":"bench-{n}@example.com","password":"${PASSWORD}","cookie":false}` },
    ),
  );
  const peerPort = freePort();
  contenders.push(
    await start(
      "better-auth",
      [process.execPath, "better-auth-server.ts"],
      join(ROOT, "bench/peer"),
      { PORT: String(peerPort), DB: join(work, "better-auth.db") },
      peerPort,
      "/api/auth/ok",
      { path: "/api/auth/sign-up/email", body: (n) => ({ email: `bench-${n}@example.com`, password: PASSWORD, name: `bench ${n}` }) },
      { path: "/api/auth/sign-in/email", body: `{"email":"bench-{n}@example.com","password":"${PASSWORD}"}` },
    ),
  );
  for (const contender of contenders) await measure(contender, 3); // warm-up
  for (let round = 1; round <= ROUNDS; round++) {
    const [latchkey, peer] = [await measure(contenders[0]!, SECONDS), await measure(contenders[1]!, SECONDS)];
    console.log(
      `round ${round}: latchkey ${latchkey.rps.toFixed(1)}/s, ${latchkey.cpuMs.toFixed(2)} ms CPU a sign-in | ` +
        `better-auth ${peer.rps.toFixed(1)}/s, ${peer.cpuMs.toFixed(2)} ms | latchkey ${((latchkey.rps / peer.rps) * 100).toFixed(0)}% of its throughput`,
    );
  }
} finally {
  for (const contender of contenders) contender.process.kill();
  await Promise.all(contenders.map((contender) => contender.process.exited));
  rmSync(work, { recursive: true, force: true });
}
