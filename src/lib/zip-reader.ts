// Reads a zip file from disk by its central directory, one entry at a time, in pieces: memory stays at one piece
// (64 KiB) plus the inflate window whatever the archive's size. Each entry's bytes are checked against the size and
// CRC-32 the central directory records, so a truncated or altered archive fails instead of yielding other bytes.
//
// Classic zips only (no ZIP64, no encryption), methods stored (0) and deflate (8): what fflate's Zip writes.
import { open, type FileHandle } from "node:fs/promises";
import { Inflate } from "fflate";

const PIECE_BYTES = 64 * 1024;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
/** The end record is 22 bytes plus a comment of at most 65,535. */
const END_SEARCH_BYTES = 22 + 0xffff;

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipFormatError";
  }
}

export interface ZipEntry {
  /** The name as stored (UTF-8), not yet checked for safety: the caller decides what a name may be. */
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  localHeaderOffset: number;
}

export interface ZipReader {
  entries: ZipEntry[];
  /** The entry's bytes, in pieces; fails with ZipFormatError when they do not match the size or CRC-32 recorded. */
  read(entry: ZipEntry): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new ZipFormatError(`the archive ends early (at ${position + filled} bytes)`);
    filled += bytesRead;
  }
  return buffer;
}

export async function openZip(path: string): Promise<ZipReader> {
  const handle = await open(path, "r");
  try {
    const fileSize = (await handle.stat()).size;
    const tailLength = Math.min(fileSize, END_SEARCH_BYTES);
    if (tailLength < 22) throw new ZipFormatError("not a zip archive (too short)");
    const tail = await readAt(handle, fileSize - tailLength, tailLength);
    const tailView = new DataView(tail.buffer);
    let end = -1;
    for (let at = tailLength - 22; at >= 0; at--) {
      if (tailView.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY) {
        end = at;
        break;
      }
    }
    if (end < 0) throw new ZipFormatError("not a zip archive, or cut short (no end of central directory)");
    const count = tailView.getUint16(end + 10, true);
    const directorySize = tailView.getUint32(end + 12, true);
    const directoryOffset = tailView.getUint32(end + 16, true);
    if (directoryOffset + directorySize > fileSize - tailLength + end) throw new ZipFormatError("the central directory lies outside the archive");
    const directory = await readAt(handle, directoryOffset, directorySize);
    const view = new DataView(directory.buffer);
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const entries: ZipEntry[] = [];
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (at + 46 > directorySize || view.getUint32(at, true) !== CENTRAL_HEADER) throw new ZipFormatError("a damaged central directory");
      const flags = view.getUint16(at + 8, true);
      if (flags & 1) throw new ZipFormatError("encrypted entries are not supported");
      const nameLength = view.getUint16(at + 28, true);
      const extraLength = view.getUint16(at + 30, true);
      const commentLength = view.getUint16(at + 32, true);
      if (at + 46 + nameLength > directorySize) throw new ZipFormatError("a damaged central directory");
      let name: string;
      try {
        name = decoder.decode(directory.subarray(at + 46, at + 46 + nameLength));
      } catch {
        throw new ZipFormatError("an entry name is not UTF-8");
      }
      entries.push({
        name,
        method: view.getUint16(at + 10, true),
        crc: view.getUint32(at + 16, true),
        compressedSize: view.getUint32(at + 20, true),
        size: view.getUint32(at + 24, true),
        localHeaderOffset: view.getUint32(at + 42, true),
      });
      at += 46 + nameLength + extraLength + commentLength;
    }

    async function* read(entry: ZipEntry): AsyncGenerator<Uint8Array> {
      if (entry.method !== 0 && entry.method !== 8) throw new ZipFormatError(`${entry.name}: compression method ${entry.method} is not supported`);
      const local = new DataView((await readAt(handle, entry.localHeaderOffset, 30)).buffer);
      if (local.getUint32(0, true) !== LOCAL_HEADER) throw new ZipFormatError(`${entry.name}: a damaged entry header`);
      let position = entry.localHeaderOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
      const stop = position + entry.compressedSize;
      if (stop > directoryOffset) throw new ZipFormatError(`${entry.name}: its bytes run past the archive's entries`);
      let crc = 0; // CRC-32 of the bytes so far: Bun.hash.crc32 continues from the value it is given
      let size = 0;
      const out: Uint8Array[] = [];
      const inflate = entry.method === 8 ? new Inflate((chunk) => out.push(chunk)) : null;
      while (position < stop) {
        const piece = await readAt(handle, position, Math.min(PIECE_BYTES, stop - position));
        position += piece.length;
        try {
          if (inflate) inflate.push(piece, position === stop);
          else out.push(piece);
        } catch {
          throw new ZipFormatError(`${entry.name}: damaged compressed data`);
        }
        for (const chunk of out.splice(0)) {
          size += chunk.length;
          if (size > entry.size) throw new ZipFormatError(`${entry.name}: more bytes than recorded`);
          crc = Bun.hash.crc32(chunk, crc);
          yield chunk;
        }
      }
      if (inflate && entry.compressedSize === 0) throw new ZipFormatError(`${entry.name}: damaged compressed data`);
      if (size !== entry.size || crc !== entry.crc) throw new ZipFormatError(`${entry.name}: its bytes do not match their checksum`);
    }

    return { entries, read, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
