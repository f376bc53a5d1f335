// First transform to `?w=800&f=webp` of one 3000x2000 picture in each input kind (issue 29 item 3: RGB JPEG, PNG,
// WebP, grey JPEG, CMYK JPEG), against sharp making the same variant from the same file, in rounds: in each round
// every kind runs latchkey then sharp (sharp then latchkey every other round, the kinds in reverse order too), so a
// round's ratio comes from runs seconds apart on this shared machine; a kind's ratio is the median of its rounds'.
// Its floor, run right after in every round: latchkey's own transform code on the same file, in memory
// (bench/ref/transform-in-process.ts), against the same sharp figure.
// Used by bench/run.ts (the table) and bench/tools/first-transforms.ts (these scenarios alone).
import { join, resolve } from "node:path";
import { median, ms, pairedTimes, type Row } from "./report.ts";

const FLOOR_SCRIPT = join(resolve(import.meta.dir, "../.."), "bench/ref/transform-in-process.ts");

/** The floor's runs on `file` (bench/ref/transform-in-process.ts: latchkey's transform alone, in memory), `runs` after one warm-up. */
async function floorRuns(file: string, runs: number): Promise<number[]> {
  const child = Bun.spawn([process.execPath, FLOOR_SCRIPT, file], { env: { ...process.env, RUNS: String(runs), WARMUP: "1" }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  if (code !== 0) throw new Error(`${FLOOR_SCRIPT} exited ${code}: ${stderr.slice(0, 2000)}`);
  return (JSON.parse(stdout.trim().split("\n").pop()!) as { runsMs: number[] }).runsMs;
}

export interface InputKind {
  /** Short name, e.g. "CMYK JPEG". */
  name: string;
  file: string;
  extension: string;
  contentType: string;
}

export interface TransformBench {
  url: string;
  /** Stores `file` at `key` (e.g. with curl). */
  upload(key: string, file: string, contentType: string): Promise<unknown>;
  /** sharp's runs on `file`: milliseconds as libvips runs by default, and on one thread. */
  sharp(file: string): Promise<{ runsMs: number[]; oneThreadRunsMs: number[]; bytes: number }>;
  log(message: string): void;
}

export interface KindResult {
  kind: InputKind;
  /** Per round: the median of its first transforms (ms). */
  latchkeyMs: number[];
  /** Per round: sharp's median (ms), by default and on one thread. */
  sharpMs: number[];
  sharpOneThreadMs: number[];
  /** Per round: latchkey / sharp. */
  ratios: number[];
  ratio: number;
  /** Per round: the floor's median (ms), and floor / sharp. */
  floorMs: number[];
  floorRatios: number[];
  variantBytes: number;
  sharpBytes: number;
}

/** First transforms per kind and round: each of `perRound` fresh copies (own folder) fetched once, in turn. */
export async function firstTransforms(bench: TransformBench, kinds: InputKind[], rounds: number, perRound = 3): Promise<KindResult[]> {
  let folder = 0;
  const keyOf = (kind: InputKind, n: number) => `public/first-${n}/picture.${kind.extension}`;
  const path = (kind: InputKind, n: number) => `/storage/o/${keyOf(kind, n)}?w=800&f=webp`;
  const transform = async (kind: InputKind, n: number) => {
    const started = performance.now();
    const response = await fetch(bench.url + path(kind, n));
    const bytes = new Uint8Array(await response.arrayBuffer());
    const elapsed = performance.now() - started;
    if (response.status !== 200 || response.headers.get("content-type") !== "image/webp") {
      throw new Error(`${kind.name}: transform answered ${response.status} ${Buffer.from(bytes).toString().slice(0, 200)}`);
    }
    return { ms: elapsed, bytes: bytes.length };
  };

  // Warm: both transform workers make each kind once (codecs loaded and run), untimed.
  for (const kind of kinds) {
    const pair = [folder++, folder++];
    for (const n of pair) await bench.upload(keyOf(kind, n), kind.file, kind.contentType);
    await Promise.all(pair.map((n) => transform(kind, n)));
  }

  const results = new Map<InputKind, KindResult>(
    kinds.map((kind) => [kind, { kind, latchkeyMs: [], sharpMs: [], sharpOneThreadMs: [], ratios: [], ratio: 0, floorMs: [], floorRatios: [], variantBytes: 0, sharpBytes: 0 }]),
  );
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      const result = results.get(kind)!;
      const copies = Array.from({ length: perRound }, () => folder++);
      for (const n of copies) await bench.upload(keyOf(kind, n), kind.file, kind.contentType);
      const ours = async () => {
        const runs = [];
        for (const n of copies) runs.push(await transform(kind, n));
        result.variantBytes = runs.at(-1)!.bytes;
        return median(runs.map((run) => run.ms));
      };
      const theirs = async () => {
        const figures = await bench.sharp(kind.file);
        result.sharpBytes = figures.bytes;
        result.sharpOneThreadMs.push(median(figures.oneThreadRunsMs));
        return median(figures.runsMs);
      };
      let latchkey: number;
      let sharp: number;
      if (round % 2 === 0) {
        latchkey = await ours();
        sharp = await theirs();
      } else {
        sharp = await theirs();
        latchkey = await ours();
      }
      // The floor right after the pair, in every round: the same file, seconds apart.
      const floor = median(await floorRuns(kind.file, perRound));
      result.latchkeyMs.push(latchkey);
      result.sharpMs.push(sharp);
      result.ratios.push(latchkey / sharp);
      result.floorMs.push(floor);
      result.floorRatios.push(floor / sharp);
      bench.log(`  round ${round + 1}, ${kind.name}: latchkey ${latchkey.toFixed(1)} ms, sharp ${sharp.toFixed(1)} ms: ${(latchkey / sharp).toFixed(2)}x; its transform alone ${floor.toFixed(1)} ms`);
    }
  }
  for (const result of results.values()) result.ratio = median(result.ratios);
  return [...results.values()];
}

/** The five kinds: `photo` (bench/lib/photo.ts) and image-inputs.ts' files made from it, in `folder`. */
export function inputKinds(photo: string, folder: string): InputKind[] {
  return [
    { name: "RGB JPEG", file: photo, extension: "jpg", contentType: "image/jpeg" },
    { name: "PNG", file: `${folder}/photo.png`, extension: "png", contentType: "image/png" },
    { name: "WebP", file: `${folder}/photo.webp`, extension: "webp", contentType: "image/webp" },
    { name: "grey JPEG", file: `${folder}/photo-grey.jpg`, extension: "jpg", contentType: "image/jpeg" },
    { name: "CMYK JPEG", file: `${folder}/photo-cmyk.jpg`, extension: "jpg", contentType: "image/jpeg" },
  ];
}

/** One table row per kind (bench/lib/report.ts' Row). */
export function transformRows(results: KindResult[], perRound: number): Row[] {
  return results.map((result) => ({
    scenario: `first image transform (3000x2000 ${result.kind.name} to \`?w=800&f=webp\`), server warm`,
    figure: `${ms(median(result.latchkeyMs))} (median of ${result.latchkeyMs.length} rounds of ${perRound}; ${(result.variantBytes / 1024).toFixed(0)} KiB WebP)`,
    reference: `sharp (libvips) \`resize(800).webp({quality: 80})\`: ${ms(median(result.sharpMs))} (${(result.sharpBytes / 1024).toFixed(0)} KiB; on one thread, as latchkey's worker: ${ms(median(result.sharpOneThreadMs))})`,
    ratio: pairedTimes({ median: result.ratio, rounds: result.ratios }),
    floor: `latchkey's transform alone, in memory on one thread (bench/ref/transform-in-process.ts): ${ms(median(result.floorMs))}, ${pairedTimes({ median: median(result.floorRatios), rounds: result.floorRatios })} of sharp's time`,
    goal: "<= 1.5x sharp's time",
    met: result.ratio <= 1.5,
  }));
}
