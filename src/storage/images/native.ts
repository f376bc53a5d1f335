// The common transform, a picture made smaller or converted, done whole by Bun.Image: libjpeg-turbo decoding at
// the DCT scale the target needs (JPEG), libspng (PNG), libwebp (WebP, both ways), Bun's SIMD resize, all native and
// built into the runtime (so into the binary). It makes a first transform about as fast as sharp's, well ahead of
// imagescript's and @jsquash's wasm decoders and the JS resize of pipeline.ts (the figures: bench/README.md).
//
// What stays on pipeline.ts' path, and why:
// - the cover crop, blur and rounded corners: Bun.Image has none of them;
// - PNG and WebP with transparency: Bun.Image resizes straight (not premultiplied) alpha, so the colour of fully
//   transparent pixels bleeds into the edges of what is visible (a fringe); pipeline.ts' resize premultiplies, as
//   sharp does;
// - a CMYK JPEG without Adobe's marker: Bun.Image reads every CMYK JPEG as Adobe's inverted CMYK, so plain ink
//   would come out close to its negative; pipeline.ts reads the marker.
// Grey JPEGs come out grey in RGB; Adobe CMYK is converted to RGB without a colour profile, as pipeline.ts does.
import type { TransformSpec } from "./params.ts";
import { CONTENT_TYPES, jpegIsComplete, type ImageFormat, type ImageHeader } from "./probe.ts";
import { TransformError, type TransformOutput } from "./transform-result.ts";

/** An image Bun.Image reads right (see above), to one given side (or none), without blur or corners. */
export function handledNatively(header: ImageHeader, spec: TransformSpec): boolean {
  const oneSide = !(spec.width > 0 && spec.height > 0); // both sides: a cover crop, which Bun.Image does not do
  if (!oneSide || spec.blur !== null || spec.radius !== null) return false;
  if (header.format === "jpeg") return header.components === 1 || header.components === 3 || (header.components === 4 && header.adobe);
  return !header.alpha;
}

/** `target`: the output size (pipeline.ts' targetSize, as displayed, so EXIF orientation is applied first). */
export async function transformNatively(
  input: Uint8Array,
  format: ImageFormat,
  spec: TransformSpec,
  target: { width: number; height: number },
  limits: { maxPixels: number },
): Promise<TransformOutput> {
  if (format === "jpeg" && !jpegIsComplete(input)) throw new TransformError("corrupt_image", "The image could not be decoded.");
  // EXIF orientation is read from JPEGs only (probe.ts' displaySize, which gave `target`, does the same).
  let image = new Bun.Image(input, { maxPixels: limits.maxPixels, autoOrient: format === "jpeg" });
  // Lanczos3, Bun's default and sharp's: sharper than a linear filter, at the same speed here.
  image = image.resize(target.width, target.height, { fit: "fill", filter: "lanczos3" });
  if (spec.format === "jpeg") image = image.jpeg({ quality: spec.quality });
  else if (spec.format === "webp") image = image.webp({ quality: spec.quality });
  else image = image.png();
  let bytes: Uint8Array;
  try {
    bytes = await image.bytes();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_IMAGE_TOO_MANY_PIXELS") throw new TransformError("image_too_large", `The image has more than ${limits.maxPixels} pixels.`);
    if (code === "ERR_IMAGE_DECODE_FAILED") throw new TransformError("corrupt_image", "The image could not be decoded.");
    throw error;
  }
  return { bytes, contentType: CONTENT_TYPES[spec.format], width: image.width, height: image.height };
}
