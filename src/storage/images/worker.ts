// Entry point of a transform worker thread (images/pool.ts starts them). One job at a time; the bytes travel in
// and out as transferred buffers, not copies.
import { transformImage } from "./pipeline.ts";
import { TransformError } from "./transform-result.ts";
import type { TransformJob, TransformReply } from "./pool.ts";

declare const self: Worker;

self.onmessage = async (event: MessageEvent<TransformJob>) => {
  const { id, input, spec, maxPixels } = event.data;
  let reply: TransformReply;
  try {
    const output = await transformImage(input, spec, { maxPixels });
    // The codecs return memory the thread cannot hand over (native or wasm-owned): copy the (compressed, small) result.
    const bytes = new Uint8Array(output.bytes);
    reply = { id, ok: true, bytes, contentType: output.contentType, width: output.width, height: output.height };
    self.postMessage(reply, [bytes.buffer]);
  } catch (error) {
    reply =
      error instanceof TransformError
        ? { id, ok: false, code: error.code, message: error.message }
        : { id, ok: false, code: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    self.postMessage(reply);
  }
};
