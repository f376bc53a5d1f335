// Writes an upload to its file in pieces while the next bytes arrive. A request body comes in ~64 KiB chunks; they are
// gathered into pieces of `pieceBytes` (one write, one trip to the thread pool each), and a full piece is handed to
// the pool at once instead of being waited for: the disk keeps writing while the event loop receives and parses the
// next piece, and while it stops for a collection (storage-writes.ts starts one every 16 MiB of an upload).
// Waiting for each write before reading on left the disk idle for the time the next MiB took to arrive, and the
// socket idle for the time each write took (bench/README.md, "Bytes paths").
//
// Each piece is written at its own offset (pwrite), so pieces written at once cannot mix. At most `piecesInFlight`
// are under way (write() waits for the oldest past that), so memory stays at piecesInFlight + 2 pieces; written
// pieces are filled again. The first failed write (ENOSPC, EIO) is thrown by the next write() or end().
import type { FileHandle } from "node:fs/promises";

/** Writes all of `bytes` at `position` (a write may take only part of them). */
async function writeAllAt(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let at = 0; at < bytes.byteLength; ) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.byteLength - at, position + at);
    if (bytesWritten <= 0) throw new Error("write made no progress");
    at += bytesWritten;
  }
}

export class PieceWriter {
  readonly #handle: FileHandle;
  readonly #pieceBytes: number;
  readonly #piecesInFlight: number;
  /** Pieces written and free to fill again. */
  readonly #spare: Uint8Array[] = [];
  #piece: Uint8Array | null = null;
  #filled = 0;
  /** Writes under way, oldest first (each settles without rejecting; a failure is kept in #failure). */
  readonly #inFlight: Promise<void>[] = [];
  /** Where the next piece goes in the file. */
  #position = 0;
  #failure: { error: unknown } | null = null;

  constructor(handle: FileHandle, options: { pieceBytes: number; piecesInFlight: number }) {
    this.#handle = handle;
    this.#pieceBytes = options.pieceBytes;
    this.#piecesInFlight = options.piecesInFlight;
  }

  /** Takes a chunk (kept by reference only when it is a piece's size or more; never changed). */
  async write(chunk: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    if (this.#filled > 0 && this.#filled + chunk.byteLength > this.#pieceBytes) await this.#flush();
    if (chunk.byteLength >= this.#pieceBytes) {
      await this.#enqueue(chunk, null);
      return;
    }
    this.#piece ??= this.#spare.pop() ?? new Uint8Array(this.#pieceBytes);
    this.#piece.set(chunk, this.#filled);
    this.#filled += chunk.byteLength;
  }

  /** Writes what is left and waits for every write; throws the first failure. */
  async end(): Promise<void> {
    if (this.#filled > 0) await this.#flush();
    await this.settle();
    this.#throwIfFailed();
  }

  /** Waits for the writes under way, whatever comes of them (before the handle is closed after a failure). */
  async settle(): Promise<void> {
    await Promise.all(this.#inFlight);
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  async #flush(): Promise<void> {
    const piece = this.#piece!;
    const length = this.#filled;
    this.#piece = null;
    this.#filled = 0;
    await this.#enqueue(piece.subarray(0, length), piece);
  }

  async #enqueue(bytes: Uint8Array, piece: Uint8Array | null): Promise<void> {
    const position = this.#position;
    this.#position += bytes.byteLength;
    const written = writeAllAt(this.#handle, bytes, position).then(
      () => {
        if (piece) this.#spare.push(piece);
      },
      (error: unknown) => {
        this.#failure ??= { error };
      },
    );
    this.#inFlight.push(written);
    if (this.#inFlight.length > this.#piecesInFlight) {
      await this.#inFlight.shift();
      this.#throwIfFailed();
    }
  }
}
