// latchkey in the test process, on a data directory of its own, with a clock the test moves: for what real time
// would make slow (rate-limit windows, expiries). Requests go through app.handle, no socket.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import type { Clock } from "../../src/lib/clock.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { createLatchkey, type Latchkey } from "../../src/server.ts";
import type { JsonResponse } from "./http.ts";
import { TEST_JWT_KEY } from "./server.ts";
import { backendEnv, rememberDatabase } from "./backend.ts";

export class FakeClock implements Clock {
  constructor(private time = Date.now()) {}
  now(): number {
    return this.time;
  }
  advance(seconds: number): void {
    this.time += seconds * 1000;
  }
}

export interface InProcess {
  dataDir: string;
  request<T = any>(method: string, path: string, options?: { json?: unknown; headers?: Record<string, string> }): Promise<JsonResponse<T>>;
  /** Closes the database; the data directory stays for a restart. */
  close(): Promise<void>;
}

export async function startInProcess(env: Record<string, string>, options: { clock: Clock; dataDir?: string }): Promise<InProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "latchkey-inproc-"));
  const settings = { DATA_DIR: dataDir, JWT_KEY: TEST_JWT_KEY, ...(await backendEnv(dataDir)), ...env };
  rememberDatabase(dataDir, settings);
  const config = loadConfig(settings);
  const latchkey: Latchkey = await createLatchkey(config, { clock: options.clock, logger: silentLogger });
  return {
    dataDir,
    async request(method, path, requestOptions = {}) {
      const headers: Record<string, string> = { ...requestOptions.headers };
      let body: string | undefined;
      if (requestOptions.json !== undefined) {
        headers["content-type"] ??= "application/json";
        body = JSON.stringify(requestOptions.json);
      }
      const response = await latchkey.app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
      const text = await response.text();
      const parsed = response.headers.get("content-type")?.includes("json") && text !== "" ? JSON.parse(text) : text;
      return { status: response.status, headers: response.headers, body: parsed, cookies: response.headers.getSetCookie() };
    },
    close: () => latchkey.close(),
  };
}

export function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
}
