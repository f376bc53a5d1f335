// What a transform gives back, or why it could not: shared by the workers (pipeline.ts) and the main thread (pool.ts,
// variants.ts). A file of its own so the main thread does not load the codecs (imagescript, libwebp) with it.

export type TransformFailure = "unsupported_image" | "corrupt_image" | "image_too_large";

export class TransformError extends Error {
  constructor(
    readonly code: TransformFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface TransformOutput {
  bytes: Uint8Array;
  contentType: string;
  width: number;
  height: number;
}
