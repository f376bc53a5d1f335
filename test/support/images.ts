// Test images made in the test (no binary fixtures): encoded with imagescript's codecs, decoded back with the
// same decoders latchkey uses (imagescript for JPEG and PNG, @jsquash/webp for WebP), plus hostile inputs.
import { deflateSync } from "node:zlib";
import codecs from "imagescript/codecs/node/index.js";
import jpegModule from "imagescript/wasm/node/jpeg.js";
import pngModule from "imagescript/wasm/node/png.js";
import decodeWebpBytes, { init as initWebp } from "@jsquash/webp/decode.js";
import webpDecoderWasm from "@jsquash/webp/codec/dec/webp_dec.wasm" with { type: "file" };

export type Format = "jpeg" | "png" | "webp";

export interface Decoded {
  format: Format;
  width: number;
  height: number;
  /** RGBA. */
  data: Uint8Array;
}

/**
 * A width x height RGBA picture whose quadrants differ: top-left red, top-right green, bottom-left blue, bottom-right
 * white, so orientation and cropping can be checked by colour.
 */
export function quadrants(width: number, height: number, options: { alpha?: number } = {}): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const right = x >= width / 2;
      const bottom = y >= height / 2;
      const colour = bottom ? (right ? [255, 255, 255] : [0, 0, 255]) : right ? [0, 255, 0] : [255, 0, 0];
      data.set([...colour, options.alpha ?? 255], (y * width + x) * 4);
    }
  }
  return data;
}

export function encodeImage(format: Format, rgba: Uint8Array, width: number, height: number): Uint8Array {
  if (format === "jpeg") return new Uint8Array(codecs.jpeg.encode(rgba, { width, height, quality: 92 }));
  if (format === "webp") return new Uint8Array(codecs.webp.encode(rgba, { width, height, quality: 92 }));
  return new Uint8Array(codecs.png.encode(rgba, { width, height }));
}

export function formatOf(bytes: Uint8Array): Format | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return "jpeg";
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return "png";
  if (Buffer.from(bytes.subarray(8, 12)).toString("latin1") === "WEBP") return "webp";
  return null;
}

let webpReady: Promise<void> | null = null;

export async function decodeImage(bytes: Uint8Array): Promise<Decoded> {
  const format = formatOf(bytes);
  if (format === "png") {
    const frame = (await pngModule.init()).decode(bytes);
    return { format, width: frame.width, height: frame.height, data: frame.framebuffer };
  }
  if (format === "jpeg") {
    const frame = (await jpegModule.init()).decode(bytes);
    const data = new Uint8Array(frame.width * frame.height * 4);
    for (let index = 0; index < frame.width * frame.height; index++) {
      data.set([...frame.buffer.subarray(index * 3, index * 3 + 3), 255], index * 4);
    }
    return { format, width: frame.width, height: frame.height, data };
  }
  if (format === "webp") {
    webpReady ??= Bun.file(webpDecoderWasm)
      .arrayBuffer()
      .then((wasm) => (initWebp as unknown as (module: WebAssembly.Module) => Promise<void>)(new WebAssembly.Module(wasm)));
    await webpReady;
    const image = await decodeWebpBytes(bytes.slice().buffer);
    return { format, width: image.width, height: image.height, data: new Uint8Array(image.data.buffer) };
  }
  throw new Error("not an image");
}

/** The RGBA of one pixel. */
export function pixel(image: Decoded, x: number, y: number): [number, number, number, number] {
  const at = (y * image.width + x) * 4;
  return [image.data[at]!, image.data[at + 1]!, image.data[at + 2]!, image.data[at + 3]!];
}

/** True if `actual` is within `tolerance` of `expected` on every channel given. */
export function near(actual: number[], expected: number[], tolerance = 40): boolean {
  return expected.every((value, index) => Math.abs(actual[index]! - value) <= tolerance);
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, "latin1");
  Buffer.from(data).copy(chunk, 8);
  chunk.writeUInt32BE(Bun.hash.crc32(chunk.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return chunk;
}

/**
 * A decompression bomb: a PNG of width x height pixels (RGBA) that is a few kilobytes on disk, because its
 * compressed data is only the first rows of zeroes; a decoder that trusts the header allocates it all.
 */
export function pngBomb(width: number, height: number): Uint8Array {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const rows = Buffer.alloc(16 * (1 + width * 4)); // 16 rows of filter byte 0 + zero pixels
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk("IHDR", header),
      pngChunk("IDAT", deflateSync(rows)),
      pngChunk("IEND", new Uint8Array()),
    ]),
  );
}

/** The JPEG with an EXIF APP1 segment carrying `orientation` (1-8), inserted right after SOI. */
export function withExifOrientation(jpeg: Uint8Array, orientation: number): Uint8Array {
  const tiff = Buffer.alloc(26);
  tiff.write("MM", 0, "latin1");
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // IFD0 right after the header
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10); // Orientation
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14); // count
  tiff.writeUInt16BE(orientation, 18);
  tiff.writeUInt32BE(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xffe1, 0);
  segment.writeUInt16BE(payload.length + 2, 2);
  return new Uint8Array(Buffer.concat([jpeg.subarray(0, 2), segment, payload, jpeg.subarray(2)]));
}

/**
 * A PNG without transparency (imagescript writes RGBA only): grey (colour type 0, 1 byte a pixel) or RGB (type 2,
 * 3 bytes a pixel), 8 bits, every row unfiltered.
 */
export function opaquePng(kind: "grey" | "rgb", width: number, height: number, pixels: Uint8Array): Uint8Array {
  const channels = kind === "grey" ? 1 : 3;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = kind === "grey" ? 0 : 2;
  const rows = Buffer.alloc(height * (1 + width * channels));
  for (let y = 0; y < height; y++) {
    Buffer.from(pixels.subarray(y * width * channels, (y + 1) * width * channels)).copy(rows, y * (1 + width * channels) + 1);
  }
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk("IHDR", header),
      pngChunk("IDAT", deflateSync(rows)),
      pngChunk("IEND", new Uint8Array()),
    ]),
  );
}
