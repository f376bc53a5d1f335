// Streams a zip of many files with fflate, pull-driven: the next piece of the next file is read only when the
// client has taken what was produced so far. Memory stays at about one piece (64 KiB) plus the deflate window,
// however many files and however slow the client.
//
// Limits: fflate writes classic zips (no ZIP64): at most 65,535 entries and 4 GiB in all; callers check that first.
import { Zip, ZipDeflate, ZipPassThrough } from "fflate";

export const ZIP_MAX_ENTRIES = 65_535;
export const ZIP_MAX_BYTES = 0xffff_ffff - 64 * 1024 * 1024; // leave room for headers and the central directory

export interface ZipSource {
  /** The entry's name in the archive. */
  name: string;
  modifiedAtMs: number;
  /** Deflate this entry (text and the like); already-compressed data is stored as it is. */
  compress: boolean;
  /** The bytes; null skips the entry (e.g. the file was deleted meanwhile). */
  open(): Promise<AsyncIterable<Uint8Array> | null>;
}

/** Content types worth deflating; everything else (images, video, archives, unknown binaries) is stored. */
export function worthCompressing(contentType: string): boolean {
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return (
    type.startsWith("text/") ||
    /\+(json|xml)$/.test(type) ||
    ["application/json", "application/xml", "application/javascript", "application/x-javascript", "image/svg+xml", "image/bmp", "application/x-tar", "application/sql"].includes(type)
  );
}

export function zipStream(sources: AsyncIterable<ZipSource>, options: { onError?: (error: unknown) => void } = {}): ReadableStream<Uint8Array> {
  const iterator = sources[Symbol.asyncIterator]();
  const produced: Uint8Array[] = [];
  let finished = false;
  let failure: unknown = null;
  const zip = new Zip((error, data, final) => {
    if (error) failure = error;
    else {
      if (data.length > 0) produced.push(data);
      if (final) finished = true;
    }
  });
  let current: { file: ZipDeflate | ZipPassThrough; chunks: AsyncIterator<Uint8Array> } | null = null;
  let ended = false;

  async function advance(): Promise<void> {
    if (!current) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        zip.end();
        return;
      }
      const source = next.value;
      const stream = await source.open();
      if (!stream) return;
      const file = source.compress ? new ZipDeflate(source.name, { level: 6 }) : new ZipPassThrough(source.name);
      file.mtime = new Date(source.modifiedAtMs);
      zip.add(file);
      current = { file, chunks: stream[Symbol.asyncIterator]() };
      return;
    }
    const { done, value } = await current.chunks.next();
    if (done) {
      current.file.push(new Uint8Array(0), true);
      current = null;
    } else {
      current.file.push(value, false);
    }
  }

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          while (produced.length === 0 && !finished && !ended) {
            await advance();
            if (failure) throw failure;
          }
          while (produced.length > 0) controller.enqueue(produced.shift()!);
          if (finished && produced.length === 0) controller.close();
        } catch (error) {
          options.onError?.(error);
          await current?.chunks.return?.().catch(() => {});
          await iterator.return?.();
          controller.error(error);
        }
      },
      async cancel() {
        await current?.chunks.return?.().catch(() => {});
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}
