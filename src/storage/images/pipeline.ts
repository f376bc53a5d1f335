// One image transform, start to end: probe -> decode -> orient -> crop/resize -> blur -> round corners -> encode.
// Runs inside a transform worker (images/worker.ts): decoding and encoding block the thread that runs them. The
// common case, a picture made smaller or converted, goes whole to Bun.Image instead (native.ts says which).
//
// Codecs: imagescript 1.3.1 for JPEG and PNG decoding (its wasm decoders, called directly: the JPEG one decodes at
// the smallest DCT scale that still covers the target, so a 3000x2000 photo shrunk to 800 px decodes at 1500x1000)
// and for all encoding (its native codecs: JPEG, PNG and WebP). imagescript cannot decode WebP; @jsquash/webp (libwebp
// compiled to wasm, embedded in the binary) does that.
import codecs from "imagescript/codecs/node/index.js";
import { gaussian } from "imagescript/v2/ops/blur.mjs";
import jpegModule from "imagescript/wasm/node/jpeg.js";
import pngModule from "imagescript/wasm/node/png.js";
import decodeWebpBytes, { init as initWebp } from "@jsquash/webp/decode.js";
import webpDecoderWasm from "@jsquash/webp/codec/dec/webp_dec.wasm" with { type: "file" };
import { handledNatively, transformNatively } from "./native.ts";
import { CONTENT_TYPES, displaySize, readImageHeader, sniffFormat, type ImageFormat, type ImageHeader } from "./probe.ts";
import type { TransformSpec } from "./params.ts";
import { flattenOnWhite, orient, resize, resizeRgb, roundCorners, type Bitmap } from "./resample.ts";
import { TransformError, type TransformOutput } from "./transform-result.ts";

type Decoders = {
  jpeg: Awaited<ReturnType<typeof jpegModule.init>>;
  png: Awaited<ReturnType<typeof pngModule.init>>;
};
let decoders: Promise<Decoders> | null = null;
let webpReady: Promise<void> | null = null;

// One instance of each decoder per worker, made on first use and reused.
function loadDecoders(): Promise<Decoders> {
  decoders ??= Promise.all([jpegModule.init(), pngModule.init()]).then(([jpeg, png]) => ({ jpeg, png }));
  return decoders;
}

async function decodeWebp(bytes: Uint8Array): Promise<Bitmap> {
  webpReady ??= Bun.file(webpDecoderWasm)
    .arrayBuffer()
    .then((wasm) => (initWebp as unknown as (module: WebAssembly.Module) => Promise<void>)(new WebAssembly.Module(wasm)));
  await webpReady;
  const copy = bytes.slice().buffer; // the decoder takes an ArrayBuffer of exactly the file
  const image = await decodeWebpBytes(copy);
  return { width: image.width, height: image.height, data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength) };
}

/** JPEG pixels (grey, RGB or CMYK as ink, see cmykForDecoder) as RGBA. */
function jpegToRgba(frame: { width: number; height: number; format: number; buffer: Uint8Array }): Bitmap {
  const pixels = frame.width * frame.height;
  const data = new Uint8Array(pixels * 4);
  const source = frame.buffer;
  if (frame.format === 0) {
    for (let index = 0; index < pixels; index++) {
      const grey = source[index]!;
      data.set([grey, grey, grey, 255], index * 4);
    }
  } else if (frame.format === 1) {
    for (let index = 0, from = 0, to = 0; index < pixels; index++, from += 3, to += 4) {
      data[to] = source[from]!;
      data[to + 1] = source[from + 1]!;
      data[to + 2] = source[from + 2]!;
      data[to + 3] = 255;
    }
  } else if (frame.format === 2) {
    // Ink (0 is none), without a colour profile: each of red, green and blue is what its ink and black leave of
    // the light (what Bun.Image gives for the same file, native.ts).
    for (let index = 0, from = 0, to = 0; index < pixels; index++, from += 4, to += 4) {
      const light = (255 - source[from + 3]!) / 255;
      data[to] = Math.round((255 - source[from]!) * light);
      data[to + 1] = Math.round((255 - source[from + 1]!) * light);
      data[to + 2] = Math.round((255 - source[from + 2]!) * light);
      data[to + 3] = 255;
    }
  } else {
    throw new TransformError("unsupported_image", "This JPEG colour format is not supported.");
  }
  return { width: frame.width, height: frame.height, data };
}

/**
 * imagescript's JPEG decoder (the jpeg-decoder crate) reads CMYK only with Adobe's marker, and then as Adobe's
 * inverted CMYK, which it turns into ink (0 is none). A CMYK file without the marker stores ink already: it is
 * decoded as if it had the marker, and its output inverted back (decode below), so both kinds end as ink.
 */
function cmykForDecoder(input: Uint8Array, header: ImageHeader): Uint8Array {
  if (header.adobe) return input;
  const marker = [0xff, 0xee, 0x00, 0x0e, ...Buffer.from("Adobe", "latin1"), 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00];
  return new Uint8Array(Buffer.concat([input.subarray(0, 2), Buffer.from(marker), input.subarray(2)]));
}

function invert(samples: Uint8Array): void {
  for (let index = 0; index < samples.length; index++) samples[index] = 255 - samples[index]!;
}

function crop(source: Bitmap, x: number, y: number, width: number, height: number): Bitmap {
  if (x === 0 && y === 0 && width === source.width && height === source.height) return source;
  const data = new Uint8Array(width * height * 4);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * source.width + x) * 4;
    data.set(source.data.subarray(from, from + width * 4), row * width * 4);
  }
  return { width, height, data };
}

/** The output size for a source of sourceWidth x sourceHeight (as displayed). Both given: cover and centre-crop. */
export function targetSize(spec: TransformSpec, sourceWidth: number, sourceHeight: number): { width: number; height: number } {
  if (spec.width > 0 && spec.height > 0) return { width: spec.width, height: spec.height };
  if (spec.width > 0) return { width: spec.width, height: Math.max(1, Math.round((sourceHeight * spec.width) / sourceWidth)) };
  if (spec.height > 0) return { width: Math.max(1, Math.round((sourceWidth * spec.height) / sourceHeight)), height: spec.height };
  return { width: sourceWidth, height: sourceHeight };
}

export async function transformImage(input: Uint8Array, spec: TransformSpec, limits: { maxPixels: number }): Promise<TransformOutput> {
  const format = sniffFormat(input);
  if (!format) throw new TransformError("unsupported_image", "The file is not a JPEG, PNG or WebP image.");
  const header = readImageHeader(input);
  if (!header) throw new TransformError("corrupt_image", "The image header is broken.");
  if (header.width * header.height > limits.maxPixels) {
    throw new TransformError("image_too_large", `The image has ${header.width * header.height} pixels; the limit is ${limits.maxPixels}.`);
  }
  const shown = displaySize(header);
  const target = targetSize(spec, shown.width, shown.height);
  if (target.width * target.height > limits.maxPixels) {
    throw new TransformError("image_too_large", `The requested size has ${target.width * target.height} pixels; the limit is ${limits.maxPixels}.`);
  }

  if (handledNatively(header, spec)) return transformNatively(input, format, spec, target, limits);

  // An upright RGB JPEG scaled to one given side (here: with blur or corners) is resized straight from the
  // decoder's RGB pixels; everything else goes through an RGBA bitmap.
  const direct = !(spec.width > 0 && spec.height > 0) && (header.orientation <= 1 || header.orientation > 8);
  let decoded: Bitmap | RgbPixels;
  try {
    decoded = await decode(input, format, header, shown, target, direct);
  } catch (error) {
    if (error instanceof TransformError) throw error;
    throw new TransformError("corrupt_image", "The image could not be decoded.");
  }
  // A decoder that disagrees with the header (a lying header) must not sneak past the pixel limit.
  const channels = "rgb" in decoded ? 3 : 4;
  if (decoded.width * decoded.height > limits.maxPixels || decoded.data.length !== decoded.width * decoded.height * channels) {
    throw new TransformError("corrupt_image", "The image could not be decoded.");
  }
  let bitmap: Bitmap =
    "rgb" in decoded ? resizeRgb(decoded, target.width, target.height) : orient(decoded, header.orientation);

  // Cover: crop the source to the target's aspect ratio (centred), then resample to the target size.
  const targetAspect = target.width / target.height;
  const sourceAspect = bitmap.width / bitmap.height;
  if (Math.abs(targetAspect - sourceAspect) > 1e-9 && spec.width > 0 && spec.height > 0) {
    if (sourceAspect > targetAspect) {
      const width = Math.max(1, Math.round(bitmap.height * targetAspect));
      bitmap = crop(bitmap, Math.floor((bitmap.width - width) / 2), 0, width, bitmap.height);
    } else {
      const height = Math.max(1, Math.round(bitmap.width / targetAspect));
      bitmap = crop(bitmap, 0, Math.floor((bitmap.height - height) / 2), bitmap.width, height);
    }
  }
  bitmap = resize(bitmap, target.width, target.height);
  if (spec.blur !== null) gaussian(spec.blur, { width: bitmap.width, height: bitmap.height, u8: bitmap.data });
  if (spec.radius !== null) roundCorners(bitmap, spec.radius);

  const size = { width: bitmap.width, height: bitmap.height };
  let bytes: Uint8Array;
  if (spec.format === "jpeg") {
    flattenOnWhite(bitmap);
    bytes = codecs.jpeg.encode(bitmap.data, { ...size, quality: spec.quality });
  } else if (spec.format === "webp") {
    bytes = codecs.webp.encode(bitmap.data, { ...size, quality: spec.quality });
  } else {
    bytes = codecs.png.encode(bitmap.data, { ...size, compression: "default" });
  }
  return { bytes, contentType: CONTENT_TYPES[spec.format], ...size };
}

/** A JPEG decoder's RGB output, 3 bytes a pixel. */
interface RgbPixels {
  rgb: true;
  width: number;
  height: number;
  data: Uint8Array;
}

/** `rgbAllowed`: an RGB JPEG may come back as its RGB pixels (RgbPixels) instead of an RGBA bitmap. */
async function decode(
  input: Uint8Array,
  format: ImageFormat,
  header: ImageHeader,
  shown: { width: number; height: number },
  target: { width: number; height: number },
  rgbAllowed: boolean,
): Promise<Bitmap | RgbPixels> {
  if (format === "webp") return decodeWebp(input);
  const { jpeg, png } = await loadDecoders();
  if (format === "png") {
    const frame = png.decode(input);
    return { width: frame.width, height: frame.height, data: frame.framebuffer };
  }
  // The smallest DCT scale that still covers the target (after a cover crop), in stored orientation.
  const scale = Math.min(1, Math.max(target.width / shown.width, target.height / shown.height));
  let needWidth = Math.ceil(shown.width * scale);
  let needHeight = Math.ceil(shown.height * scale);
  if (header.orientation >= 5) [needWidth, needHeight] = [needHeight, needWidth];
  const frame = jpeg.decode(header.components === 4 ? cmykForDecoder(input, header) : input, needWidth, needHeight);
  if (rgbAllowed && frame.format === 1) return { rgb: true, width: frame.width, height: frame.height, data: frame.buffer };
  if (frame.format === 2 && !header.adobe) invert(frame.buffer);
  return jpegToRgba(frame);
}
