// A refresh's server-side work without sockets: latchkey built in this process (createLatchkey, SQLite), 64 sessions
// refreshed in turn by 32 concurrent chains, as bench/lua/refresh.lua drives them over HTTP. Prints the CPU a refresh
// (this process, all threads) through `app.handle` (Elysia, the handler, core, the database) and through core alone
// (`sessionTokens.refresh`), median of ROUNDS rounds. Quieter than a wrk run on a shared machine, and quick to repeat
// while changing the path: `bun bench/tools/refresh-in-process.ts` (REFRESHES=20000 a round, ROUNDS=5).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { createLatchkey } from "../../src/server.ts";
import { USERS } from "../lib/harness.ts";
import { refreshTokensInProcess } from "../lib/in-process.ts";
import { median } from "../lib/report.ts";

const REFRESHES = Number(process.env.REFRESHES ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CHAINS = 32;

const dataDir = mkdtempSync(join(tmpdir(), "latchkey-refresh-"));
const latchkey = await createLatchkey(loadConfig({ DATA_DIR: dataDir, HOST: "127.0.0.1" }), { logger: silentLogger });
try {
  const tokens = await refreshTokensInProcess(latchkey, USERS);

  const overHttp = async (token: string): Promise<string> => {
    const response = await latchkey.app.handle(new Request(`http://localhost/auth/token/refresh?refresh_token=${token}`));
    if (response.status !== 200) throw new Error(`refresh answered ${response.status}`);
    return ((await response.json()) as { refresh_token: string }).refresh_token;
  };
  const coreOnly = async (token: string): Promise<string> => (await latchkey.core.sessionTokens.refresh(token, { ip: "127.0.0.1" })).refreshToken;

  /** CPU microseconds a refresh over REFRESHES refreshes, CHAINS at a time, each chain spending its own tokens. */
  async function round(refresh: (token: string) => Promise<string>): Promise<number> {
    let left = REFRESHES;
    const before = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CHAINS }, async (_, chain) => {
        for (let index = chain; left > 0; index = (index + CHAINS) % USERS) {
          left--;
          tokens[index] = await refresh(tokens[index]!);
        }
      }),
    );
    const used = process.cpuUsage(before);
    return (used.user + used.system) / REFRESHES;
  }

  const kinds = { "app.handle": overHttp, "core alone": coreOnly };
  const results: Record<string, number[]> = { "app.handle": [], "core alone": [] };
  for (const [name, refresh] of Object.entries(kinds)) await round(refresh); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, refresh] of r % 2 === 0 ? Object.entries(kinds) : Object.entries(kinds).reverse()) results[name]!.push(await round(refresh));
  }
  for (const [name, values] of Object.entries(results)) console.log(`${name}: ${median(values).toFixed(1)} us CPU a refresh (${values.map((v) => v.toFixed(1)).join(", ")})`);
} finally {
  await latchkey.close();
  rmSync(dataDir, { recursive: true, force: true });
}
