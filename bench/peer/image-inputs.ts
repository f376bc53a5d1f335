// The inputs of the first-transform scenarios besides the JPEG photo (bench/run.ts makes that one): the same
// 3000x2000 picture as an RGB PNG, a lossy WebP, a grey JPEG and a CMYK JPEG (Adobe's inverted CMYK with its
// marker, as Photoshop and libvips write it), made with sharp. Run from bench/peer:
// `bun image-inputs.ts <photo.jpg> <folder>`; files already there are kept.
import { existsSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";

const [photo, folder] = [process.argv[2]!, process.argv[3]!];
const outputs: [string, () => sharp.Sharp][] = [
  ["photo.png", () => sharp(photo).png()], // zlib level 6, sharp's default, as most tools write
  ["photo.webp", () => sharp(photo).webp({ quality: 85 })],
  ["photo-grey.jpg", () => sharp(photo).toColourspace("b-w").jpeg({ quality: 85 })],
  ["photo-cmyk.jpg", () => sharp(photo).toColourspace("cmyk").jpeg({ quality: 85 })],
];
for (const [name, make] of outputs) {
  const file = join(folder, name);
  if (!existsSync(file)) await make().toFile(file);
}
console.log(JSON.stringify(outputs.map(([name]) => join(folder, name))));
