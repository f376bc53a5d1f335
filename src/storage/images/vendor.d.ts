// Types for the parts of imagescript 1.3.1 latchkey imports directly (the package types only its Image class).
declare module "imagescript/wasm/node/jpeg.js" {
  interface JpegFramebuffer {
    width: number;
    height: number;
    /** 0: grayscale (1 byte a pixel), 1: RGB (3), 2: CMYK (4). */
    format: number;
    buffer: Uint8Array;
  }
  interface JpegDecoder {
    /** Decodes at the smallest DCT scale (1, 1/2, 1/4, 1/8) whose size still covers width x height (0: full size). */
    decode(buffer: Uint8Array, width?: number, height?: number): JpegFramebuffer;
  }
  const jpeg: { init(): Promise<JpegDecoder> };
  export default jpeg;
}

declare module "imagescript/wasm/node/png.js" {
  interface PngDecoder {
    decode(buffer: Uint8Array): { width: number; height: number; framebuffer: Uint8Array };
  }
  const png: { init(): Promise<PngDecoder> };
  export default png;
}

declare module "imagescript/codecs/node/index.js" {
  type Size = { width: number; height: number };
  const codecs: {
    png: { encode(rgba: Uint8Array, options: Size & { compression?: "fast" | "best" | "default" }): Uint8Array };
    jpeg: { encode(rgba: Uint8Array, options: Size & { quality?: number }): Uint8Array };
    webp: { encode(rgba: Uint8Array, options: Size & { quality?: number | null }): Uint8Array };
  };
  export default codecs;
}

declare module "imagescript/v2/ops/blur.mjs" {
  /** In-place recursive Gaussian blur of an RGBA framebuffer; `sigma` in pixels. */
  export function gaussian(sigma: number, framebuffer: { width: number; height: number; u8: Uint8Array }): void;
}

declare module "@jsquash/webp/codec/dec/webp_dec.wasm" {
  const path: string;
  export default path;
}
