// Pixel operations on RGBA bitmaps (8 bits per channel, row-major) that imagescript lacks or gets wrong.
//
// Resizing: imagescript's `resize()` is nearest-neighbour, and its v2 "linear" reads 4 source pixels per output
// pixel whatever the scale, so a 4000 px photo shrunk to 200 px aliases (moire, jagged edges), and a 1 px target
// divides by zero. This is separable linear (triangle-filter) resampling whose support widens with the reduction
// factor, so every source pixel contributes (what libvips, Pillow and sharp do), on premultiplied alpha so transparent
// pixels do not bleed dark fringes.
export interface Bitmap {
  width: number;
  height: number;
  /** RGBA, width * height * 4 bytes. */
  data: Uint8Array;
}

interface Taps {
  /** First source index for each output index. */
  first: Int32Array;
  /** Number of taps for each output index. */
  count: Int32Array;
  /** Weights, `maxTaps` per output index. */
  weights: Float32Array;
  maxTaps: number;
}

function taps(sourceSize: number, targetSize: number): Taps {
  const scale = sourceSize / targetSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // the triangle reaches 1 source pixel, stretched by the reduction factor
  const maxTaps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(targetSize);
  const count = new Int32Array(targetSize);
  const weights = new Float32Array(targetSize * maxTaps);
  for (let index = 0; index < targetSize; index++) {
    const center = (index + 0.5) * scale;
    const low = Math.max(0, Math.floor(center - support));
    const high = Math.min(sourceSize, Math.ceil(center + support));
    let total = 0;
    let n = 0;
    for (let source = low; source < high && n < maxTaps; source++, n++) {
      const weight = Math.max(0, 1 - Math.abs((source + 0.5 - center) / filterScale));
      weights[index * maxTaps + n] = weight;
      total += weight;
    }
    if (total === 0) {
      // Only when the target is larger and the centre falls on an edge: take the nearest pixel.
      weights[index * maxTaps] = 1;
      total = 1;
      n = Math.max(n, 1);
    }
    for (let k = 0; k < n; k++) weights[index * maxTaps + k]! /= total;
    first[index] = low;
    count[index] = n;
  }
  return { first, count, weights, maxTaps };
}

function isOpaque(data: Uint8Array): boolean {
  for (let index = 3; index < data.length; index += 4) if (data[index] !== 255) return false;
  return true;
}

/** A new bitmap of width x height (each at least 1). */
export function resize(source: Bitmap, width: number, height: number): Bitmap {
  if (width === source.width && height === source.height) return source;
  const opaque = isOpaque(source.data);
  const horizontal = taps(source.width, width);
  const vertical = taps(source.height, height);
  if (opaque) return resizeOpaque(source.data, 4, source.width, source.height, width, height, horizontal, vertical);
  const src = source.data;

  // Pass 1: rows, into floats (premultiplied unless opaque).
  const middle = new Float32Array(width * source.height * 4);
  for (let y = 0; y < source.height; y++) {
    const row = y * source.width * 4;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      const start = horizontal.first[x]!;
      const base = x * horizontal.maxTaps;
      for (let k = 0, n = horizontal.count[x]!; k < n; k++) {
        const weight = horizontal.weights[base + k]!;
        const offset = row + (start + k) * 4;
        const alpha = src[offset + 3]!;
        const factor = opaque ? weight : (weight * alpha) / 255;
        r += src[offset]! * factor;
        g += src[offset + 1]! * factor;
        b += src[offset + 2]! * factor;
        a += alpha * weight;
      }
      const out = (y * width + x) * 4;
      middle[out] = r;
      middle[out + 1] = g;
      middle[out + 2] = b;
      middle[out + 3] = a;
    }
  }

  // Pass 2: columns, back to bytes (un-premultiplied).
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const start = vertical.first[y]!;
    const base = y * vertical.maxTaps;
    const n = vertical.count[y]!;
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let k = 0; k < n; k++) {
        const weight = vertical.weights[base + k]!;
        const offset = ((start + k) * width + x) * 4;
        r += middle[offset]! * weight;
        g += middle[offset + 1]! * weight;
        b += middle[offset + 2]! * weight;
        a += middle[offset + 3]! * weight;
      }
      const out = (y * width + x) * 4;
      const unpremultiply = opaque || a <= 0 ? 1 : 255 / a;
      data[out] = clampByte(r * unpremultiply);
      data[out + 1] = clampByte(g * unpremultiply);
      data[out + 2] = clampByte(b * unpremultiply);
      data[out + 3] = clampByte(a);
    }
  }
  return { width, height, data };
}

/**
 * A JPEG decoder's RGB pixels (opaque, 3 bytes each) resized straight to an RGBA bitmap: no RGBA copy of the
 * large decoded image first, which the first transform of a photo would pay.
 */
export function resizeRgb(source: { width: number; height: number; data: Uint8Array }, width: number, height: number): Bitmap {
  if (width === source.width && height === source.height) {
    const data = new Uint8Array(width * height * 4);
    for (let from = 0, to = 0; to < data.length; from += 3, to += 4) {
      data[to] = source.data[from]!;
      data[to + 1] = source.data[from + 1]!;
      data[to + 2] = source.data[from + 2]!;
      data[to + 3] = 255;
    }
    return { width, height, data };
  }
  return resizeOpaque(source.data, 3, source.width, source.height, width, height, taps(source.width, width), taps(source.height, height));
}

/** Fixed-point weights: each output's weights as integers summing to exactly 1 << WEIGHT_BITS. */
const WEIGHT_BITS = 14;
const WEIGHT_ONE = 1 << WEIGHT_BITS;
const WEIGHT_HALF = 1 << (WEIGHT_BITS - 1);

function fixedWeights({ count, weights, maxTaps }: Taps): Int32Array {
  const fixed = new Int32Array(weights.length);
  for (let index = 0; index < count.length; index++) {
    const base = index * maxTaps;
    let total = 0;
    let largest = base;
    for (let k = 0; k < count[index]!; k++) {
      fixed[base + k] = Math.round(weights[base + k]! * WEIGHT_ONE);
      total += fixed[base + k]!;
      if (fixed[base + k]! > fixed[largest]!) largest = base + k;
    }
    fixed[largest]! += WEIGHT_ONE - total; // rounding must not brighten or darken the image
  }
  return fixed;
}

/**
 * resize() for an opaque bitmap (every photo): the same filter on three channels, with no alpha to premultiply,
 * about twice as fast (the resize was the largest step of a photo's transform), and in integers (14-bit weights,
 * 8 bits between the passes, as Pillow's resampling does), faster again (the figures: bench/README.md).
 * `channels` is 4 for RGBA input, 3 for RGB; the output is RGBA.
 */
function resizeOpaque(src: Uint8Array, channels: 3 | 4, sourceWidth: number, sourceHeight: number, width: number, height: number, horizontal: Taps, vertical: Taps): Bitmap {
  const { first: hFirst, count: hCount, maxTaps: hMax } = horizontal;
  const hWeights = fixedWeights(horizontal);
  const vWeights = fixedWeights(vertical);

  // Pass 1: rows, into bytes (RGB).
  const middle = new Uint8Array(width * sourceHeight * 3);
  for (let y = 0; y < sourceHeight; y++) {
    const row = y * sourceWidth * channels;
    let out = y * width * 3;
    for (let x = 0; x < width; x++) {
      let r = WEIGHT_HALF;
      let g = WEIGHT_HALF;
      let b = WEIGHT_HALF;
      let offset = row + hFirst[x]! * channels;
      let w = x * hMax;
      for (let end = w + hCount[x]!; w < end; w++, offset += channels) {
        const weight = hWeights[w]!;
        r += src[offset]! * weight;
        g += src[offset + 1]! * weight;
        b += src[offset + 2]! * weight;
      }
      // Non-negative weights summing to one: the sums stay within 0..255 (Uint8Array stores them as they are).
      middle[out++] = r >> WEIGHT_BITS;
      middle[out++] = g >> WEIGHT_BITS;
      middle[out++] = b >> WEIGHT_BITS;
    }
  }

  // Pass 2: columns, a row of outputs at a time (reading `middle` row by row), back to bytes.
  const data = new Uint8Array(width * height * 4);
  const accumulator = new Int32Array(width * 3);
  const rowLength = width * 3;
  for (let y = 0; y < height; y++) {
    accumulator.fill(WEIGHT_HALF);
    const start = vertical.first[y]!;
    const base = y * vertical.maxTaps;
    for (let k = 0, n = vertical.count[y]!; k < n; k++) {
      const weight = vWeights[base + k]!;
      const from = (start + k) * rowLength;
      for (let index = 0; index < rowLength; index++) accumulator[index]! += middle[from + index]! * weight;
    }
    let out = y * width * 4;
    for (let index = 0; index < rowLength; index += 3) {
      data[out] = accumulator[index]! >> WEIGHT_BITS;
      data[out + 1] = accumulator[index + 1]! >> WEIGHT_BITS;
      data[out + 2] = accumulator[index + 2]! >> WEIGHT_BITS;
      data[out + 3] = 255;
      out += 4;
    }
  }
  return { width, height, data };
}

function clampByte(value: number): number {
  return value <= 0 ? 0 : value >= 255 ? 255 : Math.round(value);
}

/** Applies EXIF orientation 2-8, so the bitmap is as the camera meant it to be seen. */
export function orient(source: Bitmap, orientation: number): Bitmap {
  if (orientation <= 1 || orientation > 8) return source;
  const { width: w, height: h } = source;
  const swap = orientation >= 5;
  const width = swap ? h : w;
  const height = swap ? w : h;
  const from = new Uint32Array(source.data.buffer, source.data.byteOffset, w * h);
  const to = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2: sx = w - 1 - x; sy = y; break;
        case 3: sx = w - 1 - x; sy = h - 1 - y; break;
        case 4: sx = x; sy = h - 1 - y; break;
        case 5: sx = y; sy = x; break; // transpose
        case 6: sx = y; sy = h - 1 - x; break; // rotate 90 clockwise
        case 7: sx = w - 1 - y; sy = h - 1 - x; break; // transverse
        default: sx = w - 1 - y; sy = x; break; // 8: rotate 90 counter-clockwise
      }
      to[y * width + x] = from[sy * w + sx]!;
    }
  }
  return { width, height, data: new Uint8Array(to.buffer) };
}

/** Cuts the corners round with an anti-aliased edge; "full" makes a circle (a pill when not square). */
export function roundCorners(bitmap: Bitmap, radius: number | "full"): void {
  const { width, height, data } = bitmap;
  const r = Math.min(radius === "full" ? Infinity : radius, Math.min(width, height) / 2);
  if (r <= 0) return;
  const span = Math.ceil(r);
  for (let y = 0; y < height; y++) {
    const inTop = y < span;
    const inBottom = y >= height - span;
    if (!inTop && !inBottom) continue;
    const cy = inTop ? r : height - r;
    for (let x = 0; x < width; x++) {
      const inLeft = x < span;
      const inRight = x >= width - span;
      if (!inLeft && !inRight) continue;
      const cx = inLeft ? r : width - r;
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      // Only the part outside the corner circle's quadrant is cut.
      if ((inLeft ? dx > 0 : dx < 0) || (inTop ? dy > 0 : dy < 0)) continue;
      const coverage = Math.min(1, Math.max(0, r - Math.sqrt(dx * dx + dy * dy) + 0.5));
      const alpha = (y * width + x) * 4 + 3;
      data[alpha] = Math.round(data[alpha]! * coverage);
    }
  }
}

/** Lays the bitmap over a white background (for JPEG, which has no alpha). */
export function flattenOnWhite(bitmap: Bitmap): void {
  const data = bitmap.data;
  for (let index = 0; index < data.length; index += 4) {
    const alpha = data[index + 3]!;
    if (alpha === 255) continue;
    const keep = alpha / 255;
    const white = 255 * (1 - keep);
    data[index] = Math.round(data[index]! * keep + white);
    data[index + 1] = Math.round(data[index + 1]! * keep + white);
    data[index + 2] = Math.round(data[index + 2]! * keep + white);
    data[index + 3] = 255;
  }
}
