// The MD5 of an upload as it streams in, computed on a worker thread.
//
// HBP's upload rules see it as `resource.md5`; it is computed only when the rules could read it (rules.ts readsMd5).
// MD5 is slower than receiving and writing the bytes and cannot be split across threads; on the event loop it took
// a large part of an upload's time and held up every other request meanwhile (bench/README.md). Here the upload's bytes
// are copied into 1 MiB pieces and handed to one shared worker, which hands each piece back to be filled again; a
// stream more than MAX_IN_FLIGHT_BYTES ahead of the worker waits, so a fast client cannot pile up memory.

import { workerModule } from "../worker-module.ts";

export type Md5Request =
  | { type: "update"; id: number; bytes: Uint8Array<ArrayBuffer> }
  | { type: "digest"; id: number }
  | { type: "drop"; id: number };
/** `hashed` hands the piece back (transferred), to be filled again. */
export type Md5Reply = { type: "hashed"; id: number; bytes: Uint8Array<ArrayBuffer> } | { type: "digest"; id: number; hex: string };

const PIECE_BYTES = 1024 * 1024;
const MAX_IN_FLIGHT_BYTES = 4 * PIECE_BYTES;
/** Pieces back from the worker, kept for reuse: transferred buffers are freed only when a collector gets to them. */
const spare: Uint8Array<ArrayBuffer>[] = [];
const MAX_SPARE = 16;

export interface StreamingMd5 {
  /** Adds bytes (copied: the caller may reuse `chunk`); resolves once the worker is close enough behind. */
  update(chunk: Uint8Array): Promise<void>;
  /** The hex MD5 of everything added. Call once, after the last update. */
  digest(): Promise<string>;
  /** Forgets the stream (an upload that failed). Safe after digest or twice. */
  drop(): void;
}

interface Stream {
  /** Set when the worker failed: every later call of this stream fails with it. */
  error: Error | null;
  inFlight: number;
  waiting: { resolve: () => void; reject: (error: Error) => void } | null;
  digest: { resolve: (hex: string) => void; reject: (error: Error) => void } | null;
}

let worker: Worker | null = null;
const streams = new Map<number, Stream>();
let nextId = 1;

function hasher(): Worker {
  if (worker) return worker;
  const started = new Worker(workerModule("storage/md5-worker.ts"));
  started.unref(); // an idle hasher must not keep the process alive
  started.onmessage = (event: MessageEvent<Md5Reply>) => {
    const reply = event.data;
    const stream = streams.get(reply.id);
    if (!stream) return;
    if (reply.type === "hashed") {
      stream.inFlight -= reply.bytes.byteLength;
      if (reply.bytes.byteLength === PIECE_BYTES && spare.length < MAX_SPARE) spare.push(reply.bytes);
      if (stream.waiting && stream.inFlight <= MAX_IN_FLIGHT_BYTES) {
        stream.waiting.resolve();
        stream.waiting = null;
      }
    } else {
      streams.delete(reply.id);
      stream.digest?.resolve(reply.hex);
    }
    if (streams.size === 0) started.unref();
  };
  // A crashed hasher fails the uploads it was hashing (they answer an error); the next upload starts a new one.
  started.onerror = () => {
    const error = new Error("the MD5 worker failed");
    for (const stream of streams.values()) {
      stream.error = error;
      stream.waiting?.reject(error);
      stream.digest?.reject(error);
    }
    streams.clear();
    started.terminate();
    if (worker === started) worker = null;
  };
  worker = started;
  return started;
}

export function streamingMd5(): StreamingMd5 {
  const id = nextId++;
  const stream: Stream = { error: null, inFlight: 0, waiting: null, digest: null };
  let piece = spare.pop() ?? new Uint8Array(PIECE_BYTES);
  let filled = 0;
  const thread = hasher();
  streams.set(id, stream);
  thread.ref(); // while a stream is open, its digest must arrive

  function send(): void {
    if (filled === 0) return;
    const bytes = filled === PIECE_BYTES ? piece : piece.slice(0, filled);
    stream.inFlight += filled;
    thread.postMessage({ type: "update", id, bytes } satisfies Md5Request, [bytes.buffer]);
    piece = spare.pop() ?? new Uint8Array(PIECE_BYTES);
    filled = 0;
  }

  return {
    async update(chunk) {
      if (stream.error) throw stream.error;
      for (let offset = 0; offset < chunk.byteLength; ) {
        const taken = Math.min(PIECE_BYTES - filled, chunk.byteLength - offset);
        piece.set(chunk.subarray(offset, offset + taken), filled);
        filled += taken;
        offset += taken;
        if (filled === PIECE_BYTES) send();
      }
      if (stream.inFlight > MAX_IN_FLIGHT_BYTES) {
        await new Promise<void>((resolve, reject) => (stream.waiting = { resolve, reject }));
      }
    },
    digest() {
      if (stream.error) return Promise.reject(stream.error);
      send();
      return new Promise<string>((resolve, reject) => {
        stream.digest = { resolve, reject };
        thread.postMessage({ type: "digest", id } satisfies Md5Request);
      });
    },
    drop() {
      if (!streams.delete(id)) return;
      thread.postMessage({ type: "drop", id } satisfies Md5Request);
      if (streams.size === 0) thread.unref();
    },
  };
}
