// The benchmarks' picture: a deterministic photo-like 3000x2000 JPEG (gradients plus grain), made once with the
// repository's imagescript. bench/peer/image-inputs.ts makes the other input kinds from it.
import { existsSync, writeFileSync } from "node:fs";

export async function writePhoto(file: string): Promise<void> {
  if (existsSync(file)) return;
  const { default: codecs } = await import("imagescript/codecs/node/index.js");
  const [width, height] = [3000, 2000];
  const rgba = new Uint8Array(width * height * 4);
  let seed = 0x2545f491;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      const grain = (seed & 0xff) / 8;
      const index = (y * width + x) * 4;
      rgba[index] = Math.min(255, 128 + 100 * Math.sin(x / 97) + grain);
      rgba[index + 1] = Math.min(255, 128 + 100 * Math.cos(y / 61) + grain);
      rgba[index + 2] = Math.min(255, ((x + y) / 25) % 256);
      rgba[index + 3] = 255;
    }
  }
  writeFileSync(file, codecs.jpeg.encode(rgba, { width, height, quality: 85 }));
}
