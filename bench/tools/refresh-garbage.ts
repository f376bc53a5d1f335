// The garbage a refresh makes, counted by the collector: latchkey built in-process (as refresh-in-process.ts builds
// it, SQLite), REFRESHES refreshes by 32 chains after a warm-up, through `sessions.rotate` alone, through core
// (`sessionTokens.refresh`, with the access token) and through `app.handle` (Elysia, the handler, the Request and
// Response, this driver's included). Each runs in a child process with BUN_JSC_logGC=1; printed: the eden collections
// between two markers, the bytes allowed per collection (so the bytes a refresh, roughly) and their pauses.
// `bun bench/tools/refresh-garbage.ts` (REFRESHES=100000).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUN, USERS } from "../lib/harness.ts";
import { refreshTokensInProcess } from "../lib/in-process.ts";

const REFRESHES = Number(process.env.REFRESHES ?? 100_000);
const MODES = ["sessions.rotate", "sessionTokens.refresh", "app.handle"] as const;
type Mode = (typeof MODES)[number];
const START = "=== refresh-garbage start";
const END = "=== refresh-garbage end";

async function child(mode: Mode): Promise<void> {
  const { loadConfig } = await import("../../src/config.ts");
  const { silentLogger } = await import("../../src/lib/logger.ts");
  const { createLatchkey } = await import("../../src/server.ts");
  const dataDir = mkdtempSync(join(tmpdir(), "latchkey-garbage-"));
  const latchkey = await createLatchkey(loadConfig({ DATA_DIR: dataDir, HOST: "127.0.0.1" }), { logger: silentLogger });
  try {
    const tokens = await refreshTokensInProcess(latchkey, USERS);
    const client = { ip: "127.0.0.1" };
    const refresh: Record<Mode, (token: string) => Promise<string>> = {
      "sessions.rotate": async (token) => (await latchkey.core.sessions.rotate(token, client)).refreshToken,
      "sessionTokens.refresh": async (token) => (await latchkey.core.sessionTokens.refresh(token, client)).refreshToken,
      "app.handle": async (token) => {
        const response = await latchkey.app.handle(new Request(`http://localhost/auth/token/refresh?refresh_token=${token}`));
        return ((await response.json()) as { refresh_token: string }).refresh_token;
      },
    };
    const run = async (count: number): Promise<void> => {
      let left = count;
      await Promise.all(
        Array.from({ length: 32 }, async (_, chain) => {
          for (let index = chain; left > 0; index = (index + 32) % USERS) {
            left--;
            tokens[index] = await refresh[mode](tokens[index]!);
          }
        }),
      );
    };
    await run(5_000);
    Bun.gc(true);
    console.error(START);
    await run(REFRESHES);
    console.error(END);
  } finally {
    await latchkey.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  await child(process.argv[3] as Mode);
} else {
  for (const mode of MODES) {
    const proc = Bun.spawn([BUN, import.meta.path, "--child", mode], { env: { ...process.env, BUN_JSC_logGC: "1" }, stdout: "ignore", stderr: "pipe" });
    const log = await new Response(proc.stderr).text();
    await proc.exited;
    const during = log.slice(log.indexOf(START), log.indexOf(END));
    const edens = during.match(/EdenCollection/g)?.length ?? 0;
    const fulls = during.match(/FullCollection/g)?.length ?? 0;
    const allowed = [...during.matchAll(/bytes allowed: (\d+)/g)].map((match) => Number(match[1]));
    const perCollection = allowed.length > 0 ? allowed.reduce((a, b) => a + b, 0) / allowed.length : NaN;
    const pauseMs = [...during.matchAll(/p=([\d.]+)ms/g)].reduce((sum, match) => sum + Number(match[1]), 0);
    console.log(
      `${mode}: ${edens} eden + ${fulls} full collections over ${REFRESHES} refreshes, ~${((edens * perCollection) / REFRESHES / 1024).toFixed(1)} KB a refresh ` +
        `(at ${(perCollection / 2 ** 20).toFixed(1)} MB a collection), pauses ${((pauseMs * 1000) / REFRESHES).toFixed(2)} us a refresh`,
    );
  }
}
