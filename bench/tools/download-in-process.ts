// A public download's server-side work without sockets: latchkey built in this process (createLatchkey, SQLite), a
// 1 MiB public file, `GET /storage/o/public/bench/1mib.bin` through `app.handle` by 16 concurrent callers (as wrk's 16
// connections), the body not read (over HTTP Bun sends it with sendfile). Prints the CPU a download (this process, all
// threads), median of ROUNDS rounds: what latchkey's own work on a download costs, quieter than a wrk run on a shared
// machine. `bun bench/tools/download-in-process.ts` (DOWNLOADS=20000 a round, ROUNDS=5); with `bun --cpu-prof` it
// profiles that work alone (bench/tools/cpuprofile-top.ts). Over HTTP each download's 1 MiB passes through the caches
// between two requests, so the route runs with cold caches: EVICT_KIB=2048 writes that much memory before each
// download (its own cost, measured alone in the same rounds, is taken off) to measure the route that way.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { createLatchkey } from "../../src/server.ts";
import { DOWNLOAD_CONNECTIONS, MIB } from "../lib/harness.ts";
import { registerInProcess, uploadInProcess } from "../lib/in-process.ts";
import { median } from "../lib/report.ts";

const DOWNLOADS = Number(process.env.DOWNLOADS ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const EVICT_BYTES = Number(process.env.EVICT_KIB ?? 0) * 1024;
const evictions = new Uint8Array(EVICT_BYTES);
let evicted = 0;
/** Writes EVICT_BYTES of memory, as a download's bytes passing through the caches would evict them. */
const evict = () => (EVICT_BYTES > 0 ? evictions.fill(++evicted & 0xff) : undefined);
const URL_OF_FILE = "http://localhost/storage/o/public/bench/1mib.bin";

const dataDir = mkdtempSync(join(tmpdir(), "latchkey-download-"));
const latchkey = await createLatchkey(loadConfig({ DATA_DIR: dataDir, HOST: "127.0.0.1", LNCRAWL_ENABLED: "true" }), { logger: silentLogger });
try {
  const jwt = await registerInProcess(latchkey, 0);
  await uploadInProcess(latchkey, URL_OF_FILE, jwt, crypto.getRandomValues(new Uint8Array(MIB)), "application/octet-stream", "1mib.bin");

  /** CPU microseconds a download over DOWNLOADS downloads, DOWNLOAD_CONNECTIONS at a time. */
  async function round(download = true): Promise<number> {
    let left = DOWNLOADS;
    const before = process.cpuUsage();
    await Promise.all(
      Array.from({ length: DOWNLOAD_CONNECTIONS }, async () => {
        while (left-- > 0) {
          evict();
          if (!download) {
            await null;
            continue;
          }
          const response = await latchkey.app.handle(new Request(URL_OF_FILE));
          if (response.status !== 200) throw new Error(`download answered ${response.status}`);
        }
      }),
    );
    const used = process.cpuUsage(before);
    return (used.user + used.system) / DOWNLOADS;
  }

  await round(); // warm-up
  const results: number[] = [];
  for (let r = 0; r < ROUNDS; r++) results.push(await round() - (EVICT_BYTES > 0 ? await round(false) : 0));
  const evicting = EVICT_BYTES > 0 ? `, ${EVICT_BYTES / 1024} KiB evicted before each (its cost taken off)` : "";
  console.log(`app.handle: ${median(results).toFixed(1)} us CPU a download${evicting} (${results.map((v) => v.toFixed(1)).join(", ")})`);
} finally {
  await latchkey.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
