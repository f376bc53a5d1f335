// The bytes paths of bench/run.ts alone (issue 29 item 4): the 1 MiB download against nginx, the zip of a 1 GiB
// folder against `zip -0 -r`, the 1 GiB upload against `dd conv=fsync`, with one or more latchkey binaries in turns
// (A/B of two builds in the same minutes) and, per run, the CPU each server spent (all its threads, from /proc).
//
//   bun bench/tools/bytes-paths.ts                        dist/latchkey against the references
//   BINARIES=dist/latchkey,/tmp/latchkey-before bun bench/tools/bytes-paths.ts
//   WHAT=download,zip ROUNDS=4 SECONDS=6 bun bench/tools/bytes-paths.ts
//
// `WHAT` picks the scenarios (download, zip, upload, transform: bench/run.ts's cached transform, the repeat of
// `?w=800&f=webp` of its 3000x2000 JPEG against the download of the variant's bytes uploaded as a file, each binary
// against its own download in the same rounds, wrk with 32 connections); `FLOOR=true` adds to the download a bare Bun.serve answering
// `new Response(Bun.file(...))` (bench/ref/bare-file.ts): the floor of what Bun sends a file at; `FLOOR=shaped` adds
// as well the same server answering with latchkey's headers, stat and request id (bench/ref/bare-file-shaped.ts). Each round runs
// the contenders back to back, in reverse order every other round; the ratio is the median of the rounds'.
// Inputs and data dirs live in bench/.work (as bench/run.ts's). Needs wrk, nginx, zip and curl (bench/run.sh installs them).
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  BUN, CONNECTIONS, DOWNLOAD_CONNECTIONS, GIB, LATCHKEY_ENV, MIB, ROOT, WORK, curlUpload, freePort, hbpRegister, log, memory, mustRun,
  randomFile, resetPeak, startServer, warmCache, wrkOnce, type Server,
} from "../lib/harness.ts";
import { startNginx } from "../lib/nginx.ts";
import { parseDd } from "../lib/parse.ts";
import { writePhoto } from "../lib/photo.ts";
import { median } from "../lib/report.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const SECONDS = Number(process.env.SECONDS ?? 6);
const WHAT = new Set((process.env.WHAT ?? "download,zip,upload").split(","));
const FLOOR = process.env.FLOOR === "true" || process.env.FLOOR === "shaped";
const SHAPED_FLOOR = process.env.FLOOR === "shaped";
const BINARIES = (process.env.BINARIES ?? "dist/latchkey").split(",").map((path) => resolve(ROOT, path));
const CLOCK_TICKS = 100; // USER_HZ

/** utime + stime of every thread of a process, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * (1000 / CLOCK_TICKS);
}

interface Figure {
  /** Requests a second, or bytes a second. */
  rate: number;
  /** Server CPU per request (download) or per GiB (zip, upload), ms. */
  cpu: number;
  /** RSS growth, bytes (zip, upload). */
  growth?: number;
}

async function startBinary(binary: string, index: number): Promise<Server & { jwt: string }> {
  const dataDir = join(WORK, `bytes-data-${index}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const server = await startServer(`latchkey ${index}`, [binary, "serve"], {
    cwd: dataDir,
    env: { HOST: "127.0.0.1", PORT: String(port), DATA_DIR: dataDir, ...LATCHKEY_ENV },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/healthz",
  });
  const { jwt } = await hbpRegister(server.url, 0);
  return { ...server, jwt };
}

async function startBareFile(file: string, script = "bench/ref/bare-file.ts"): Promise<Server> {
  const port = await freePort();
  return startServer(script.split("/").pop()!, [BUN, join(ROOT, script)], {
    cwd: ROOT,
    env: { PORT: String(port), FILE: file },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/file.bin",
  });
}

/** Runs each contender once per round, in turns (reversed every other round); prints each run and the medians. */
async function rounds(title: string, names: string[], once: (name: string) => Promise<Figure>): Promise<Record<string, Figure[]>> {
  log(`${title}: ${names.join(" / ")}, ${ROUNDS} rounds`);
  const figures: Record<string, Figure[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const figure = await once(name);
      figures[name]!.push(figure);
      const growth = figure.growth === undefined ? "" : `, RSS +${(figure.growth / 1e6).toFixed(0)} MB`;
      log(`  ${name}: ${figure.rate.toFixed(1)}, CPU ${figure.cpu.toFixed(3)} ms${growth}`);
    }
  }
  const reference = names[names.length - 1]!;
  for (const name of names) {
    const ratios = figures[name]!.map((figure, round) => figure.rate / figures[reference]![round]!.rate);
    log(
      `  = ${name}: median ${median(figures[name]!.map((figure) => figure.rate)).toFixed(1)}, CPU ${median(figures[name]!.map((figure) => figure.cpu)).toFixed(3)} ms;` +
        ` vs ${reference} ${(median(ratios) * 100).toFixed(0)}% (${ratios.map((ratio) => (ratio * 100).toFixed(0)).join(", ")})`,
    );
  }
  return figures;
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  log(`load average ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  const servers: Server[] = [];
  try {
    const latchkeys: (Server & { jwt: string })[] = [];
    for (const [index, binary] of BINARIES.entries()) {
      const server = await startBinary(binary, index);
      servers.push(server);
      latchkeys.push(server);
      log(`${server.name}: ${binary} on ${server.url}`);
    }
    const label = (index: number) => (BINARIES.length === 1 ? "latchkey" : `latchkey ${index} (${BINARIES[index]!.split("/").pop()})`);

    if (WHAT.has("download")) {
      const mibFile = join(WORK, "1mib.bin");
      await randomFile(mibFile, MIB);
      for (const server of latchkeys) await curlUpload(server.url, "public/bench/1mib.bin", mibFile, server.jwt, "application/octet-stream");
      const nginx = await startNginx(mibFile, "nginx-bytes");
      servers.push(nginx);
      const targets = new Map<string, { url: string; pid: number }>(latchkeys.map((server, index) => [label(index), { url: `${server.url}/storage/o/public/bench/1mib.bin`, pid: server.pid }]));
      if (FLOOR) {
        const bare = await startBareFile(join(WORK, "nginx-bytes/www/file.bin"));
        servers.push(bare);
        targets.set("bare Bun.file", { url: `${bare.url}/file.bin`, pid: bare.pid });
      }
      if (SHAPED_FLOOR) {
        const shaped = await startBareFile(join(WORK, "nginx-bytes/www/file.bin"), "bench/ref/bare-file-shaped.ts");
        servers.push(shaped);
        targets.set("bare, latchkey's answer", { url: `${shaped.url}/file.bin`, pid: shaped.pid });
      }
      targets.set("nginx", { url: `${nginx.url}/file.bin`, pid: nginx.workerPid });
      for (const target of targets.values()) await wrkOnce(target.url, { connections: DOWNLOAD_CONNECTIONS }, 2);
      await rounds("download 1 MiB (req/s)", [...targets.keys()], async (name) => {
        const target = targets.get(name)!;
        const before = cpuMs(target.pid);
        const result = await wrkOnce(target.url, { connections: DOWNLOAD_CONNECTIONS }, SECONDS);
        if (result.non2xx > 0 || result.socketErrors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors`);
        return { rate: result.rps, cpu: (cpuMs(target.pid) - before) / result.requests };
      });
    }

    if (WHAT.has("transform")) {
      const photoFile = join(WORK, "photo.jpg");
      await writePhoto(photoFile);
      const variantPath = "/storage/o/public/first-0/picture.jpg?w=800&f=webp";
      const targets = new Map<string, { url: string; pid: number }>();
      for (const [index, server] of latchkeys.entries()) {
        await curlUpload(server.url, "public/first-0/picture.jpg", photoFile, server.jwt, "image/jpeg");
        const made = await fetch(server.url + variantPath);
        if (made.status !== 200) throw new Error(`${label(index)}: the transform answered ${made.status}`);
        const sameSizeFile = join(WORK, `same-size-${index}.webp`);
        await Bun.write(sameSizeFile, await made.arrayBuffer());
        await curlUpload(server.url, "public/bench/same-size.webp", sameSizeFile, server.jwt, "image/webp");
        targets.set(`cached ${label(index)}`, { url: server.url + variantPath, pid: server.pid });
        targets.set(`same size ${label(index)}`, { url: `${server.url}/storage/o/public/bench/same-size.webp`, pid: server.pid });
      }
      for (const target of targets.values()) await wrkOnce(target.url, { connections: CONNECTIONS }, 2);
      const figures = await rounds("cached transform and a same-size download (req/s)", [...targets.keys()], async (name) => {
        const target = targets.get(name)!;
        const before = cpuMs(target.pid);
        const result = await wrkOnce(target.url, { connections: CONNECTIONS }, SECONDS);
        if (result.non2xx > 0 || result.socketErrors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors`);
        return { rate: result.rps, cpu: (cpuMs(target.pid) - before) / result.requests };
      });
      for (const [index] of latchkeys.entries()) {
        const cached = figures[`cached ${label(index)}`]!;
        const ratios = cached.map((figure, round) => figure.rate / figures[`same size ${label(index)}`]![round]!.rate);
        log(`  = ${label(index)}: cached transform ${(median(ratios) * 100).toFixed(0)}% of its same-size download (${ratios.map((ratio) => (ratio * 100).toFixed(0)).join(", ")})`);
      }
    }

    if (WHAT.has("zip")) {
      const bigFile = join(WORK, "1gib.bin");
      await randomFile(bigFile, GIB);
      const partsDir = join(WORK, "zip-parts");
      const parts = 16;
      if (!existsSync(join(partsDir, `part-${parts - 1}.bin`))) {
        mkdirSync(partsDir, { recursive: true });
        for (let index = 0; index < parts; index++) {
          await mustRun(["dd", `if=${bigFile}`, `of=${join(partsDir, `part-${index}.bin`)}`, "bs=1M", `skip=${index * 64}`, "count=64", "status=none"]);
        }
      }
      for (const server of latchkeys) {
        for (let index = 0; index < parts; index++) {
          await curlUpload(server.url, `public/zipdir/part-${index}.bin`, join(partsDir, `part-${index}.bin`), server.jwt, "application/octet-stream");
        }
      }
      const objects = join(WORK, "bytes-data-0/storage/objects");
      for (const [index] of latchkeys.entries()) await warmCache(join(WORK, `bytes-data-${index}/storage/objects/public/zipdir/*`));
      let zipBytes = 0;
      const names = [...latchkeys.map((_, index) => label(index)), "zip -0"];
      await rounds("zip of a 1 GiB folder (MB/s)", names, async (name) => {
        if (name === "zip -0") {
          const started = performance.now();
          await mustRun(["zip", "-0", "-r", "-q", "-", "public/zipdir"], { cwd: objects, stdoutFile: "/dev/null" });
          const seconds = (performance.now() - started) / 1000;
          return { rate: zipBytes / seconds / 1e6, cpu: 0 };
        }
        const server = latchkeys[names.indexOf(name)]!;
        const before = cpuMs(server.pid);
        const rssBefore = memory(server.pid).rss;
        resetPeak(server.pid);
        const result = await mustRun(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{size_download}", "--max-time", "600", `${server.url}/storage/o/public/zipdir/`]);
        const [code, seconds, bytes] = result.stdout.trim().split(" ");
        if (code !== "200") throw new Error(`zip answered ${code}`);
        zipBytes = Number(bytes);
        return { rate: zipBytes / Number(seconds) / 1e6, cpu: (cpuMs(server.pid) - before) / (zipBytes / GIB), growth: memory(server.pid).hwm - rssBefore };
      });
    }

    if (WHAT.has("upload")) {
      const bigFile = join(WORK, "1gib.bin");
      await randomFile(bigFile, GIB);
      await warmCache(bigFile);
      let count = 0;
      const names = [...latchkeys.map((_, index) => label(index)), "dd conv=fsync"];
      await rounds("upload 1 GiB (MB/s)", names, async (name) => {
        if (name === "dd conv=fsync") {
          const out = join(WORK, "dd.out");
          const dd = parseDd((await mustRun(["dd", `if=${bigFile}`, `of=${out}`, "bs=1M", "conv=fsync"])).stderr);
          rmSync(out, { force: true });
          return { rate: dd.bytes / dd.seconds / 1e6, cpu: 0 };
        }
        const server = latchkeys[names.indexOf(name)]!;
        const key = `public/bench/1gib-${count++}.bin`;
        const before = cpuMs(server.pid);
        const rssBefore = memory(server.pid).rss;
        resetPeak(server.pid);
        const seconds = await curlUpload(server.url, key, bigFile, server.jwt, "application/octet-stream");
        const figure = { rate: GIB / seconds / 1e6, cpu: cpuMs(server.pid) - before, growth: memory(server.pid).hwm - rssBefore };
        await fetch(`${server.url}/storage/o/${key}`, { method: "DELETE", headers: { authorization: `Bearer ${server.jwt}` } });
        return figure;
      });
    }
  } finally {
    for (const server of servers.reverse()) await server.stop().catch(() => {});
    log(`load average ${readFileSync("/proc/loadavg", "utf8").trim()}`);
  }
}

await main();
process.exit(0);
