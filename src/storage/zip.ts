// Streams a zip of many files, pull-driven: the next piece of the next file is read only when the client has taken
// what was produced so far. Memory stays at about one piece (64 KiB) plus the deflate window, plus the central
// directory, which a zip keeps for its end: ~50 bytes and the name for each entry, packed into 64 KiB pages (a
// folder of 100,000 files: ~10 MB).
//
// The writer is ours (fflate, which deflates the entries, writes only classic zips): ZIP64 (APPNOTE 4.5) wherever
// a classic field would overflow, so a zip has no limit of 65,535 entries or 4 GiB. Each entry's sizes and CRC
// follow its bytes (a data descriptor: they are known only then); an entry of 4 GiB or more gets a ZIP64 descriptor
// (8-byte sizes) and its central record a ZIP64 extra field, as Go's archive/zip writes them; an offset past 4 GiB
// goes into that field too, and more than 65,534 entries or a directory past 4 GiB add the ZIP64 end records.
// Info-ZIP unzip 6 and Python's zipfile read these (test/storage-big-folders.test.ts).
import { crc32 } from "node:zlib";
import { Deflate, deflateSync } from "fflate";

/** The most a classic zip holds (and so the backup archive, whose restore reads classic zips: backup-archive.ts). */
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

const U32 = 0xffff_ffff;
const U16 = 0xffff;
/** Flags of every entry: sizes and CRC in a data descriptor (bit 3), names in UTF-8 (bit 11). */
const FLAGS = 0x0808;
const STORED = 0;
const DEFLATED = 8;
/**
 * An entry to deflate that ends within this many bytes is deflated in one call: fflate's streaming Deflate sets up
 * ~2.2 MB of tables whatever the size, and one per file of a folder of 10,000 small files grew the server's RSS by
 * 93 MB (garbage the collector took back late) and took ~250 us a file; deflateSync sizes its tables by the input.
 */
const SMALL_ENTRY_BYTES = 64 * 1024;
/** What the stream gathers before it hands a piece on (a read of a file is up to 64 KiB; pieces stay about that). */
const PIECE = 32 * 1024;

/** A little-endian record. */
class Record {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(value: number): this {
    this.view.setUint16(this.at, value, true);
    this.at += 2;
    return this;
  }
  u32(value: number): this {
    this.view.setUint32(this.at, value >>> 0, true);
    this.at += 4;
    return this;
  }
  u64(value: number): this {
    this.view.setBigUint64(this.at, BigInt(value), true);
    this.at += 8;
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
    return this;
  }
}

function concat(pieces: Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const whole = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    whole.set(piece, at);
    at += piece.length;
  }
  return whole;
}

/** MS-DOS date and time (local time, 2-second steps, 1980-2107), as zip tools write them. */
function dosDateTime(ms: number): { date: number; time: number } {
  const d = new Date(ms);
  if (d.getFullYear() < 1980) return { date: (1 << 5) | 1, time: 0 }; // 1980-01-01, the earliest a zip can say
  return {
    date: ((Math.min(2107, d.getFullYear()) - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
  };
}

/** The central directory as it grows: records packed into pages, so a folder of many files is few objects. */
class Pages {
  private static readonly SIZE = 64 * 1024;
  readonly done: Uint8Array[] = [];
  private page = new Uint8Array(Pages.SIZE);
  private used = 0;
  length = 0;
  push(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.page.length) {
      this.done.push(this.page.subarray(0, this.used));
      this.page = new Uint8Array(Math.max(Pages.SIZE, bytes.length));
      this.used = 0;
    }
    this.page.set(bytes, this.used);
    this.used += bytes.length;
    this.length += bytes.length;
  }
  /** Every page, the last one included; the pages are handed out, so this is called once. */
  take(): Uint8Array[] {
    return this.used > 0 ? [...this.done, this.page.subarray(0, this.used)] : this.done;
  }
}

interface Entry {
  name: Uint8Array;
  method: number;
  date: number;
  time: number;
  offset: number;
  crc: number;
  compressed: number;
  size: number;
}

function localHeader(entry: Entry): Uint8Array {
  return new Record(30 + entry.name.length)
    .u32(0x04034b50)
    .u16(20) // version needed: 2.0 (an entry that turns out 4 GiB or more says 4.5 in its central record)
    .u16(FLAGS)
    .u16(entry.method)
    .u16(entry.time)
    .u16(entry.date)
    .u32(0) // CRC and sizes: in the data descriptor
    .u32(0)
    .u32(0)
    .u16(entry.name.length)
    .u16(0)
    .raw(entry.name).bytes;
}

function dataDescriptor(entry: Entry): Uint8Array {
  const zip64 = entry.size >= U32 || entry.compressed >= U32;
  const record = new Record(zip64 ? 24 : 16).u32(0x08074b50).u32(entry.crc);
  return (zip64 ? record.u64(entry.compressed).u64(entry.size) : record.u32(entry.compressed).u32(entry.size)).bytes;
}

function centralRecord(entry: Entry): Uint8Array {
  // ZIP64 extra field: the 8-byte values whose classic field says 0xFFFFFFFF, in this order.
  const bigSizes = entry.size >= U32 || entry.compressed >= U32;
  const bigOffset = entry.offset >= U32;
  const extraValues = [...(bigSizes ? [entry.size, entry.compressed] : []), ...(bigOffset ? [entry.offset] : [])];
  const extraLength = extraValues.length > 0 ? 4 + 8 * extraValues.length : 0;
  const zip64 = extraLength > 0;
  const record = new Record(46 + entry.name.length + extraLength)
    .u32(0x02014b50)
    .u16(zip64 ? 45 : 20) // made by (MS-DOS attributes)
    .u16(zip64 ? 45 : 20) // needed
    .u16(FLAGS)
    .u16(entry.method)
    .u16(entry.time)
    .u16(entry.date)
    .u32(entry.crc)
    .u32(bigSizes ? U32 : entry.compressed)
    .u32(bigSizes ? U32 : entry.size)
    .u16(entry.name.length)
    .u16(extraLength)
    .u16(0) // comment
    .u16(0) // disk
    .u16(0) // internal attributes
    .u32(0) // external attributes
    .u32(bigOffset ? U32 : entry.offset)
    .raw(entry.name);
  if (zip64) {
    record.u16(0x0001).u16(8 * extraValues.length);
    for (const value of extraValues) record.u64(value);
  }
  return record.bytes;
}

/** The end records: ZIP64's end and locator first when a classic field would overflow, then the classic end. */
function endRecords(entries: number, directoryOffset: number, directoryLength: number): Uint8Array {
  const zip64 = entries >= U16 || directoryOffset >= U32 || directoryLength >= U32;
  const classic = new Record(22)
    .u32(0x06054b50)
    .u16(0)
    .u16(0)
    .u16(Math.min(entries, U16))
    .u16(Math.min(entries, U16))
    .u32(Math.min(directoryLength, U32))
    .u32(Math.min(directoryOffset, U32))
    .u16(0).bytes;
  if (!zip64) return classic;
  const end64Offset = directoryOffset + directoryLength;
  return new Record(56 + 20 + 22)
    .u32(0x06064b50)
    .u64(44) // the size of the rest of this record
    .u16(45)
    .u16(45)
    .u32(0)
    .u32(0)
    .u64(entries)
    .u64(entries)
    .u64(directoryLength)
    .u64(directoryOffset)
    .u32(0x07064b50) // the locator
    .u32(0)
    .u64(end64Offset)
    .u32(1)
    .raw(classic).bytes;
}

export function zipStream(sources: AsyncIterable<ZipSource>, options: { onError?: (error: unknown) => void } = {}): ReadableStream<Uint8Array> {
  const iterator = sources[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  const produced: Uint8Array[] = [];
  let producedBytes = 0;
  const directory = new Pages();
  let entries = 0;
  let offset = 0; // bytes of the zip produced so far
  let finished = false;
  let current: { entry: Entry; chunks: AsyncIterator<Uint8Array>; compress: boolean; deflate: Deflate | null; small: Uint8Array[] } | null = null;

  const emit = (bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    produced.push(bytes);
    producedBytes += bytes.length;
    offset += bytes.length;
  };

  function finishEntry(entry: Entry): void {
    emit(dataDescriptor(entry));
    directory.push(centralRecord(entry));
    entries += 1;
  }

  async function advance(): Promise<void> {
    if (!current) {
      const next = await iterator.next();
      if (next.done) {
        const directoryOffset = offset;
        for (const page of directory.take()) emit(page);
        emit(endRecords(entries, directoryOffset, offset - directoryOffset));
        finished = true;
        return;
      }
      const source = next.value;
      const stream = await source.open();
      if (!stream) return;
      const { date, time } = dosDateTime(source.modifiedAtMs);
      const entry: Entry = { name: encoder.encode(source.name), method: source.compress ? DEFLATED : STORED, date, time, offset, crc: 0, compressed: 0, size: 0 };
      emit(localHeader(entry));
      current = { entry, chunks: stream[Symbol.asyncIterator](), compress: source.compress, deflate: null, small: [] };
      return;
    }
    const { entry, chunks } = current;
    const { done, value } = await chunks.next();
    if (done) {
      if (current.deflate) current.deflate.push(new Uint8Array(0), true);
      else if (current.compress) {
        const deflated = deflateSync(concat(current.small, entry.size), { level: 6 });
        entry.compressed = deflated.length;
        emit(deflated);
      }
      current = null;
      finishEntry(entry);
      return;
    }
    entry.crc = crc32(value, entry.crc);
    entry.size += value.length;
    if (!current.compress) {
      entry.compressed += value.length;
      emit(value);
    } else if (current.deflate) current.deflate.push(value, false);
    else if (entry.size <= SMALL_ENTRY_BYTES) current.small.push(value);
    else {
      // Larger than a small entry: deflated as it streams, starting with what was held back.
      const deflate = new Deflate({ level: 6 }, (data) => {
        entry.compressed += data.length;
        emit(data);
      });
      for (const held of current.small) deflate.push(held, false);
      current.small = [];
      deflate.push(value, false);
      current.deflate = deflate;
    }
  }

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          // Small files give small pieces (a header, a few bytes, a descriptor): gathered into one of at least
          // PIECE bytes, so that a folder of tiny files is not a write per piece.
          while (producedBytes < PIECE && !finished) await advance();
          if (produced.length === 1) controller.enqueue(produced[0]!);
          else if (produced.length > 1) {
            const piece = new Uint8Array(producedBytes);
            let at = 0;
            for (const bytes of produced) {
              piece.set(bytes, at);
              at += bytes.length;
            }
            controller.enqueue(piece);
          }
          produced.length = 0;
          producedBytes = 0;
          if (finished) controller.close();
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
