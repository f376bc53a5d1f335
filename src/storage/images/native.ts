// The common transform, a photo made smaller or converted, done whole by Bun.Image: libjpeg-turbo decoding at the
// DCT scale the target needs, Bun's SIMD resize and libwebp, all native and built into the runtime (so into the
// binary). It makes a photo's first transform about as fast as sharp's, well ahead of imagescript's wasm decoder and
// the JS resize of pipeline.ts (the figures: bench/README.md). What Bun.Image cannot do (the cover
// crop, blur, rounded corners) and what pipeline.ts defines its own handling for (grey and CMYK JPEGs; PNG and WebP,
// with their alpha) stay on that path.
import type { TransformSpec } from "./params.ts";
import { CONTENT_TYPES, jpegIsComplete, type ImageHeader } from "./probe.ts";
import { TransformError, type TransformOutput } from "./transform-result.ts";

/** A JPEG in three components, to one given side (or none), without blur or corners. */
export function handledNatively(header: ImageHeader, spec: TransformSpec): boolean {
  const oneSide = !(spec.width > 0 && spec.height > 0); // both sides: a cover crop, which Bun.Image does not do
  return header.format === "jpeg" && header.components === 3 && oneSide && spec.blur === null && spec.radius === null;
}

/** `target`: the output size (pipeline.ts' targetSize, as displayed, so EXIF orientation is applied first). */
export async function transformNatively(
  input: Uint8Array,
  spec: TransformSpec,
  target: { width: number; height: number },
  limits: { maxPixels: number },
): Promise<TransformOutput> {
  if (!jpegIsComplete(input)) throw new TransformError("corrupt_image", "The image could not be decoded.");
  let image = new Bun.Image(input, { maxPixels: limits.maxPixels, autoOrient: true });
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
