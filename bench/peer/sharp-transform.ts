// The image reference: sharp (libvips) making the same variant latchkey makes for `?w=800&f=webp` (q 80) from
// the same file (a JPEG, PNG or WebP), in memory. Prints one JSON line: every run's milliseconds, after WARMUP
// untimed runs. Run from bench/peer: `bun sharp-transform.ts <file>`.
import sharp from "sharp";

const input = new Uint8Array(await Bun.file(process.argv[2]!).arrayBuffer());
const runs = Number(process.env.RUNS ?? 7);
const warmup = Number(process.env.WARMUP ?? 2);

const once = async () => {
  const started = performance.now();
  const output = await sharp(input).rotate().resize({ width: 800 }).webp({ quality: 80 }).toBuffer({ resolveWithObject: true });
  return { ms: performance.now() - started, bytes: output.data.length, width: output.info.width, height: output.info.height };
};

async function measure() {
  for (let index = 0; index < warmup; index++) await once();
  const results = [];
  for (let index = 0; index < runs; index++) results.push(await once());
  return results;
}

// As sharp runs by default (libvips spreads one image over every core), then on one thread as latchkey's worker does.
const results = await measure();
sharp.concurrency(1);
const oneThread = await measure();
console.log(
  JSON.stringify({
    runsMs: results.map((result) => result.ms),
    oneThreadRunsMs: oneThread.map((result) => result.ms),
    bytes: results[0]!.bytes,
    width: results[0]!.width,
    height: results[0]!.height,
    sharp: sharp.versions,
  }),
);
