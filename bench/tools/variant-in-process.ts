// The repeat of a cached image transform against the download of a file of the same size, without sockets, as
// bench/run.ts's "cached transform" row compares them over HTTP: latchkey built in this process (createLatchkey,
// SQLite), a JPEG under public/, `?w=800&f=webp` made once, its bytes uploaded as public/bench/same-size.webp, then
// `GET` of each through `app.handle` by 32 concurrent callers (wrk's connections for small requests), in alternating
// rounds (variant, download; then download, variant ...). Prints the CPU a request of each (this process, all
// threads), medians of ROUNDS rounds, and the median of the rounds' ratios (download's CPU over the variant's: the
// share of the download's rate the variant would reach if CPU were all). `bun bench/tools/variant-in-process.ts`
// (REQUESTS=20000 a round, ROUNDS=6); with `bun --cpu-prof` it profiles that work (bench/tools/cpuprofile-top.ts),
// and ONLY=variant (or ONLY=download) measures one of the two alone, for a profile of it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { createLatchkey } from "../../src/server.ts";
import { CONNECTIONS } from "../lib/harness.ts";
import { registerInProcess, uploadInProcess } from "../lib/in-process.ts";
import { writePhoto } from "../lib/photo.ts";
import { median } from "../lib/report.ts";

const REQUESTS = Number(process.env.REQUESTS ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const PICTURE_URL = "http://localhost/storage/o/public/first-0/picture.jpg";
const VARIANT_URL = `${PICTURE_URL}?w=800&f=webp`;
const SAME_SIZE_URL = "http://localhost/storage/o/public/bench/same-size.webp";
const ONLY = process.env.ONLY ?? "";

const dataDir = mkdtempSync(join(tmpdir(), "latchkey-variant-"));
const photo = join(tmpdir(), "latchkey-bench-photo.jpg");
await writePhoto(photo);
const latchkey = await createLatchkey(loadConfig({ DATA_DIR: dataDir, HOST: "127.0.0.1" }), { logger: silentLogger });
try {
  const jwt = await registerInProcess(latchkey, 0);
  await uploadInProcess(latchkey, PICTURE_URL, jwt, readFileSync(photo), "image/jpeg");
  const made = await latchkey.app.handle(new Request(VARIANT_URL));
  if (made.status !== 200) throw new Error(`transform answered ${made.status}: ${await made.text()}`);
  await uploadInProcess(latchkey, SAME_SIZE_URL, jwt, new Uint8Array(await made.arrayBuffer()), "image/webp");

  /** CPU microseconds a request of `url` over REQUESTS requests, CONNECTIONS at a time. */
  async function round(url: string): Promise<number> {
    if (ONLY !== "" && url !== (ONLY === "variant" ? VARIANT_URL : SAME_SIZE_URL)) return 1;
    let left = REQUESTS;
    const before = process.cpuUsage();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (left-- > 0) {
          const response = await latchkey.app.handle(new Request(url));
          if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
        }
      }),
    );
    const used = process.cpuUsage(before);
    return (used.user + used.system) / REQUESTS;
  }

  await round(VARIANT_URL); // warm-up
  await round(SAME_SIZE_URL);
  const variant: number[] = [];
  const download: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      variant.push(await round(VARIANT_URL));
      download.push(await round(SAME_SIZE_URL));
    } else {
      download.push(await round(SAME_SIZE_URL));
      variant.push(await round(VARIANT_URL));
    }
  }
  const ratios = variant.map((v, i) => download[i]! / v);
  const list = (values: number[], digits = 1) => values.map((v) => v.toFixed(digits)).join(", ");
  console.log(`cached variant: ${median(variant).toFixed(1)} us CPU a request (${list(variant)})`);
  console.log(`same-size download: ${median(download).toFixed(1)} us CPU a request (${list(download)})`);
  console.log(`download's CPU over the variant's: ${(median(ratios) * 100).toFixed(0)}% (${list(ratios.map((v) => v * 100), 0)})`);
} finally {
  await latchkey.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
