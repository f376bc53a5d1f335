// A streaming multipart/form-data parser (RFC 7578). `request.formData()` reads the whole body into memory; this
// reads it piece by piece, so an upload of any size costs a few pieces of memory (about 64 KiB each).
//
// Usage: for each part yielded, read `part.body` to its end (or not at all: the next iteration skips the rest).
import { StorageError } from "./errors.ts";

export interface MultipartPart {
  /** The form field name from Content-Disposition. */
  name: string;
  /** The file name from Content-Disposition, if the part is a file. */
  filename: string | null;
  /** The part's Content-Type, if given. */
  contentType: string | null;
  body: AsyncIterable<Uint8Array>;
}

/** Header block of one part; more is a broken or hostile body. */
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_PARTS = 100;
const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");

function broken(reason: string): StorageError {
  return new StorageError("bad_upload", reason);
}

/** The boundary of a multipart/form-data Content-Type, or null if the type is something else. */
export function multipartBoundary(contentType: string | null): string | null {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return null;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

/** Buffers just enough of a byte stream to find delimiters in it. */
class Input {
  private buffer: Buffer = Buffer.alloc(0);
  private position = 0;
  private done = false;
  /** Body bytes from before `buffer` that are known to hold no delimiter: handed out first (see fill). */
  private carried: Buffer | null = null;
  constructor(private readonly chunks: AsyncIterator<Uint8Array>) {}

  get available(): number {
    return this.buffer.length - this.position;
  }

  indexOf(needle: Buffer): number {
    const found = this.buffer.indexOf(needle, this.position);
    return found < 0 ? -1 : found - this.position;
  }

  /**
   * Appends the next piece of the stream; false at its end. With `needle` (inside a part's body), a large piece
   * is not copied: if no needle can straddle the old tail and the new piece, the tail is set aside as `carried`
   * and the piece becomes the buffer as it is. (Copying every piece would make an upload of N bytes allocate N
   * more bytes of garbage.)
   */
  async fill(needle?: Buffer): Promise<boolean> {
    if (this.done) return false;
    const next = await this.chunks.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    const rest = this.buffer.subarray(this.position);
    this.position = 0;
    if (rest.length === 0) {
      this.buffer = chunk;
      return true;
    }
    if (needle && rest.length < needle.length && chunk.length > 2 * needle.length) {
      const seam = Buffer.concat([rest, chunk.subarray(0, needle.length - 1)]);
      if (seam.indexOf(needle) < 0) {
        this.carried = rest;
        this.buffer = chunk;
        return true;
      }
    }
    // Earlier views handed out stay valid: a new buffer is made.
    this.buffer = Buffer.concat([rest, chunk]);
    return true;
  }

  takeCarried(): Buffer | null {
    const carried = this.carried;
    this.carried = null;
    return carried;
  }

  take(length: number): Buffer {
    const piece = this.buffer.subarray(this.position, this.position + length);
    this.position += length;
    return piece;
  }

  async require(length: number): Promise<void> {
    while (this.available < length) if (!(await this.fill())) throw broken("the body ended early");
  }
}

function parseHeaders(block: string): { name: string; filename: string | null; contentType: string | null } {
  let disposition = "";
  let contentType: string | null = null;
  for (const line of block.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === "content-disposition") disposition = value;
    if (header === "content-type") contentType = value;
  }
  if (!/^form-data\s*(;|$)/i.test(disposition)) throw broken("a part has no Content-Disposition: form-data");
  const parameter = (key: string): string | null => {
    const match = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, "i").exec(disposition);
    if (!match) return null;
    return match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : (match[2] ?? "").trim();
  };
  const name = parameter("name");
  if (name === null) throw broken("a part has no field name");
  // RFC 5987 `filename*=UTF-8''...` wins over `filename=` when both are present.
  const extended = /;\s*filename\*=(?:UTF-8|utf-8)''([^;]*)/.exec(disposition)?.[1];
  let filename = parameter("filename");
  if (extended !== undefined) {
    try {
      filename = decodeURIComponent(extended);
    } catch {
      throw broken("a part has a malformed filename*");
    }
  }
  return { name, filename, contentType };
}

export async function* parseMultipart(source: AsyncIterable<Uint8Array>, boundary: string): AsyncGenerator<MultipartPart> {
  const input = new Input(source[Symbol.asyncIterator]());
  const firstDelimiter = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);

  // Preamble: anything before the first delimiter is ignored.
  for (;;) {
    const found = input.indexOf(firstDelimiter);
    if (found >= 0) {
      input.take(found + firstDelimiter.length);
      break;
    }
    if (input.available > firstDelimiter.length) input.take(input.available - firstDelimiter.length);
    if (!(await input.fill())) throw broken("no multipart boundary in the body");
  }

  for (let parts = 0; ; parts++) {
    await input.require(2);
    const after = input.take(2).toString("latin1");
    if (after === "--") return; // the closing delimiter; the epilogue is ignored
    if (after !== "\r\n") throw broken("malformed multipart delimiter");
    if (parts >= MAX_PARTS) throw broken(`more than ${MAX_PARTS} parts`);

    let headerEnd: number;
    while ((headerEnd = input.indexOf(HEADER_END)) < 0) {
      // A part with no header lines at all starts right with the blank line.
      if (input.available >= 2 && input.indexOf(CRLF) === 0) {
        headerEnd = -2;
        break;
      }
      if (input.available > MAX_HEADER_BYTES) throw broken("part headers are too long");
      if (!(await input.fill())) throw broken("the body ended inside part headers");
    }
    const headers = headerEnd === -2 ? (input.take(2), "") : input.take(headerEnd + 4).toString("utf8");
    const { name, filename, contentType } = parseHeaders(headers);

    let finished = false;
    /** The next piece of this part's body; null at its end. */
    const nextPiece = async (): Promise<Buffer | null> => {
      for (;;) {
        if (finished) return null;
        const carried = input.takeCarried();
        if (carried) return carried;
        const found = input.indexOf(delimiter);
        if (found >= 0) {
          const piece = input.take(found);
          input.take(delimiter.length);
          finished = true;
          return piece.length > 0 ? piece : null;
        }
        // Everything but a possible start of the delimiter can go out now.
        const safe = input.available - (delimiter.length - 1);
        if (safe > 0) return input.take(safe);
        if (!(await input.fill(delimiter))) throw broken("the body ended inside a part");
      }
    };
    const body: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        for (let piece = await nextPiece(); piece !== null; piece = await nextPiece()) yield piece;
      },
    };
    yield { name, filename, contentType, body };
    // Skip whatever the consumer left unread.
    while ((await nextPiece()) !== null);
  }
}
