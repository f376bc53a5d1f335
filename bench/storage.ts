// Storage figures on this machine (not run by CI): `bun bench/storage.ts`.
//  1. Image transform time: a 3000x2000 JPEG (photo-like noise and gradients) to an 800 px wide WebP and JPEG,
//     through the worker pool as the server runs it; the first run includes starting the worker.
//  2. Memory of a server streaming a zip of a large folder to a slow client (RSS before and peak during).
import { randomBytes } from "node:crypto";
import codecs from "imagescript/codecs/node/index.js";
import { silentLogger } from "../src/lib/logger.ts";
import { createTransformPool } from "../src/storage/images/pool.ts";
import { startServer } from "../test/support/server.ts";
import { newUser, processMemory, upload } from "../test/support/storage.ts";

function photoLike(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  const noise = randomBytes(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const index = y * width + x;
      const grain = noise[index]! / 8;
      rgba[index * 4] = Math.min(255, 128 + 100 * Math.sin(x / 97) + grain);
      rgba[index * 4 + 1] = Math.min(255, 128 + 100 * Math.cos(y / 61) + grain);
      rgba[index * 4 + 2] = Math.min(255, ((x + y) / 25) % 256);
      rgba[index * 4 + 3] = 255;
    }
  }
  return rgba;
}

async function transformTimes(): Promise<void> {
  const jpeg = new Uint8Array(codecs.jpeg.encode(photoLike(3000, 2000), { width: 3000, height: 2000, quality: 85 }));
  console.log(`input: 3000x2000 JPEG, ${(jpeg.length / 1024).toFixed(0)} KiB`);
  const pool = createTransformPool({ size: 1, maxQueue: 10, timeoutMs: 60_000, logger: silentLogger });
  for (const format of ["webp", "jpeg"] as const) {
    const times: number[] = [];
    for (let run = 0; run < 6; run++) {
      const started = performance.now();
      await pool.run(async () => jpeg.slice(), { width: 800, height: 0, quality: 80, format, radius: null, blur: null }, { maxPixels: 50_000_000 });
      times.push(performance.now() - started);
    }
    const warm = times.slice(1).sort((a, b) => a - b);
    console.log(`-> 800w ${format}: first ${times[0]!.toFixed(0)} ms, then median ${warm[Math.floor(warm.length / 2)]!.toFixed(0)} ms`);
  }
  pool.close();
}

async function zipMemory(): Promise<void> {
  const server = await startServer();
  const user = await newUser(server.url);
  const files = 100;
  const size = 2 * 1024 * 1024;
  for (let index = 0; index < files; index++) {
    await upload(server.url, `user/${user.id}/folder/file-${index}.bin`, new Blob([randomBytes(size)]), { headers: user.auth });
  }
  const before = await processMemory(server.pid);
  const response = await fetch(`${server.url}/storage/o/user/${user.id}/folder/`, { headers: user.auth });
  let received = 0;
  let peak = before.rss;
  // A slow client: 1 MiB pieces with a pause, so the server must not run ahead of it.
  for await (const chunk of response.body!) {
    received += chunk.length;
    if (received % (8 * 1024 * 1024) < chunk.length) {
      peak = Math.max(peak, (await processMemory(server.pid)).rss);
      await Bun.sleep(20);
    }
  }
  const after = await processMemory(server.pid);
  console.log(
    `zip of ${files} x ${size / 1024 / 1024} MiB = ${(received / 1024 / 1024).toFixed(0)} MiB to a slow client: server RSS ` +
      `${(before.rss / 1e6).toFixed(0)} MB before, at most ${(Math.max(peak, after.rss) / 1e6).toFixed(0)} MB while streaming`,
  );
  await server.stop();
}

await transformTimes();
await zipMemory();
