// What kind of image a file is and how large, read from its first bytes without decoding it: the pixel limit
// (against decompression bombs, e.g. a 100 kB PNG of 50,000 x 50,000 pixels) is checked before any decoder runs.
export type ImageFormat = "jpeg" | "png" | "webp";

export interface ImageHeader {
  format: ImageFormat;
  /** As stored, before EXIF orientation. */
  width: number;
  height: number;
  /** EXIF orientation 1-8 (1: as stored); JPEG only. */
  orientation: number;
  /** A JPEG's colour components (1 grey, 3 YCbCr or RGB, 4 CMYK); null for other formats. */
  components: number | null;
  /**
   * Whether a JPEG carries Adobe's APP14 marker, which says its CMYK is stored inverted (255 is no ink), as
   * Photoshop writes it; a CMYK JPEG without it is stored as plain ink (0 is no ink). False for other formats.
   */
  adobe: boolean;
  /** Whether a PNG or WebP says it has transparency (an alpha channel, a tRNS chunk, WebP's alpha flag). */
  alpha: boolean;
}

export const CONTENT_TYPES: Record<ImageFormat, string> = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };

/** The format by magic number, or null if it is none latchkey transforms. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return "png";
  }
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return "webp";
  return null;
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return Buffer.from(bytes.subarray(offset, offset + length)).toString("latin1");
}

/** Header facts of a JPEG, PNG or WebP; null if the header is broken (or the format unknown). */
export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  const format = sniffFormat(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (format === "png") {
      if (ascii(bytes, 12, 4) !== "IHDR") return null;
      const alpha = pngHasAlpha(bytes, view);
      return valid({ format, width: view.getUint32(16), height: view.getUint32(20), orientation: 1, components: null, adobe: false, alpha });
    }
    if (format === "webp") return readWebpHeader(bytes, view);
    if (format === "jpeg") return readJpegHeader(bytes, view);
  } catch {
    return null; // a read past the end: truncated header
  }
  return null;
}

function valid(header: ImageHeader): ImageHeader | null {
  return header.width > 0 && header.height > 0 ? header : null;
}

/**
 * Colour types 4 and 6 carry alpha; grey, RGB and palette images have transparency only through a tRNS chunk, which
 * comes before the image data.
 */
function pngHasAlpha(bytes: Uint8Array, view: DataView): boolean {
  const colourType = view.getUint8(25);
  if (colourType === 4 || colourType === 6) return true;
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const type = ascii(bytes, offset + 4, 4);
    if (type === "tRNS") return true;
    if (type === "IDAT" || type === "IEND") return false;
    offset += 12 + view.getUint32(offset);
  }
  return false;
}

const webp = (width: number, height: number, alpha: boolean): ImageHeader | null =>
  valid({ format: "webp", width, height, orientation: 1, components: null, adobe: false, alpha });

function readWebpHeader(bytes: Uint8Array, view: DataView): ImageHeader | null {
  const chunk = ascii(bytes, 12, 4);
  if (chunk === "VP8X") {
    const width = 1 + (view.getUint16(24, true) | (view.getUint8(26) << 16));
    const height = 1 + (view.getUint16(27, true) | (view.getUint8(29) << 16));
    return webp(width, height, (view.getUint8(20) & 0x10) !== 0); // the extended header's alpha flag
  }
  if (chunk === "VP8 ") {
    if (view.getUint8(23) !== 0x9d || view.getUint8(24) !== 0x01 || view.getUint8(25) !== 0x2a) return null;
    return webp(view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff, false); // simple lossy: never alpha
  }
  if (chunk === "VP8L") {
    if (view.getUint8(20) !== 0x2f) return null;
    const bits = view.getUint32(21, true);
    // Bit 28: alpha_is_used, which libwebp's decoder itself reports as the image's alpha.
    return webp(1 + (bits & 0x3fff), 1 + ((bits >>> 14) & 0x3fff), ((bits >>> 28) & 1) === 1);
  }
  return null;
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function readJpegHeader(bytes: Uint8Array, view: DataView): ImageHeader | null {
  let orientation = 1;
  let adobe = false;
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a length
      continue;
    }
    const length = view.getUint16(offset + 2);
    if (length < 2) return null;
    if (marker === 0xe1 && ascii(bytes, offset + 4, 6) === "Exif\0\0") {
      orientation = exifOrientation(bytes.subarray(offset + 10, offset + 2 + length)) ?? orientation;
    }
    if (marker === 0xee && length >= 14 && ascii(bytes, offset + 4, 5) === "Adobe") adobe = true;
    if (SOF_MARKERS.has(marker)) {
      const height = view.getUint16(offset + 5);
      const width = view.getUint16(offset + 7);
      return valid({ format: "jpeg", width, height, orientation, components: view.getUint8(offset + 9), adobe, alpha: false });
    }
    if (marker === 0xda || marker === 0xd9) return null; // scan data or the end before any frame header
    offset += 2 + length;
  }
  return null;
}

/** Tag 0x0112 of IFD0 in a TIFF-structured EXIF block; null when absent or malformed. */
export function exifOrientation(tiff: Uint8Array): number | null {
  if (tiff.length < 8) return null;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = ascii(tiff, 0, 2);
  if (order !== "II" && order !== "MM") return null;
  const little = order === "II";
  if (view.getUint16(2, little) !== 42) return null;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return null;
  const entries = view.getUint16(ifd, little);
  for (let index = 0; index < entries; index++) {
    const entry = ifd + 2 + index * 12;
    if (entry + 12 > tiff.length) return null;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return null;
}

/**
 * Whether a JPEG's last scan reaches its end marker (EOI). A file cut short has none after its last start of scan
 * (SOS); inside scan data 0xFF is always followed by 0x00 or a restart marker, so EOI cannot appear there by chance,
 * and an EXIF thumbnail's own SOS and EOI come before the image's. Needed because libjpeg-turbo (Bun.Image) decodes
 * a truncated file, grey where the bytes stop, where a cut-off upload must be refused.
 */
export function jpegIsComplete(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lastScan = buffer.lastIndexOf(START_OF_SCAN);
  return lastScan >= 0 && buffer.lastIndexOf(END_OF_IMAGE) > lastScan;
}
const START_OF_SCAN = Buffer.from([0xff, 0xda]);
const END_OF_IMAGE = Buffer.from([0xff, 0xd9]);

/** Orientations 5-8 turn the image by 90 degrees: width and height swap when displayed. */
export function displaySize(header: ImageHeader): { width: number; height: number } {
  return header.orientation >= 5 ? { width: header.height, height: header.width } : { width: header.width, height: header.height };
}
