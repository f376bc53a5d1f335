// The floor of the first-transform rows (issue 29 item 3): latchkey's own transform (`transformImage`, what a
// transform worker runs: the format sniffed, the header read, Bun.Image or pipeline.ts) making the same variant as
// `?w=800&f=webp` from the same file, in memory, on this one thread: no worker hand-off, no HTTP, no storage read or
// variant written. Between it and sharp is the codecs' share; between it and latchkey's first transform, the rest.
// Prints one JSON line: every run's milliseconds after WARMUP untimed runs, as bench/peer/sharp-transform.ts does.
// `bun bench/ref/transform-in-process.ts <file>`
import { DEFAULT_QUALITY } from "../../src/storage/images/params.ts";
import { transformImage } from "../../src/storage/images/pipeline.ts";

const input = new Uint8Array(await Bun.file(process.argv[2]!).arrayBuffer());
const runs = Number(process.env.RUNS ?? 7);
const warmup = Number(process.env.WARMUP ?? 2);
const spec = { width: 800, height: 0, quality: DEFAULT_QUALITY, format: "webp", radius: null, blur: null } as const;
const limits = { maxPixels: 50_000_000 }; // IMAGE_MAX_PIXELS's default

const once = async () => {
  const started = performance.now();
  const output = await transformImage(input, spec, limits);
  return { ms: performance.now() - started, bytes: output.bytes.length };
};
for (let index = 0; index < warmup; index++) await once();
const results = [];
for (let index = 0; index < runs; index++) results.push(await once());
console.log(JSON.stringify({ runsMs: results.map((result) => result.ms), bytes: results[0]!.bytes }));
